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
  /** The algorithm's name (A2S, Adam, RMSProp, SGDMomentum). */
  algorithm: string;
  /** Every option, as checkpoints write them (schedules as data, Infinity as "Infinity"). */
  options: Record<string, unknown>;
  epochs: EpochRecord[];
  /** Per step (index 0 is step 1), for A2S when the adapter reports diagnostics. */
  steps?: { w: number[]; lrScale: number[] };
  /** For A2S with the automatic switch. */
  switch?: SwitchRecord;
}

/** What the automatic switch decided (null when it did not fire). */
export interface SwitchRecord {
  /** The step it fired at: the blend runs from there over blendIters steps. */
  switchedAt: number | null;
  /** The settled estimate Λ of SWATS's SGD rate. */
  sgdEstimate: number | null;
  /** The SGD rate it took, Λ·(1 − momentum), before the curvature scale. */
  lrSgd: number | null;
}

export interface ExperimentResults {
  adapter: string;
  seed: number;
  batchSize: number;
  epochs: number;
  /** The feature flags (constant schedule, no decay, clipNorm Infinity: off). */
  features: { schedule: string; weightDecay: number; clipNorm: number };
  node: string;
  startedAt: string;
  optimizers: OptimizerRecord[];
}
