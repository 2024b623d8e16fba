/** What a run records, as written to results.json. */

export interface EpochRecord {
  epoch: number;
  /** Mean cross-entropy of the epoch's batches, each taken just before its step. */
  trainLoss: number;
  /** Accuracy on the 10,000 test images after the epoch, in [0, 1]. */
  testAccuracy: number;
  /** Wall-clock seconds of the epoch's training steps (evaluation not included). */
  seconds: number;
}

export interface OptimizerRecord {
  label: string;
  kind: string;
  options: Record<string, number>;
  epochs: EpochRecord[];
  /** Per step (index 0 is step 1), for A2S when the adapter reports diagnostics. */
  steps?: { w: number[]; lrScale: number[] };
}

export interface ExperimentResults {
  adapter: string;
  seed: number;
  batchSize: number;
  epochs: number;
  node: string;
  startedAt: string;
  optimizers: OptimizerRecord[];
}
