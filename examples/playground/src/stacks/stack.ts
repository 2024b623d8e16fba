/**
 * What a stack (a way to run the MLP and its optimizer) gives the training loop. A stack
 * is one module under stacks/ plus its line in the registry.
 */
import type { MlpParamName } from "@a2s/mlp";
import type { NumericOptions, OptimizerId } from "../optimizers.js";

export interface TrainerConfig {
  optimizer: OptimizerId;
  /** Already checked by @a2s/typed's constructor of the same optimizer. */
  options: NumericOptions;
  /** Seed of @a2s/mlp's He-normal initial weights. */
  seed: number;
}

export interface StepResult {
  /** Mean cross-entropy of the batch, before the step. */
  loss: number;
  /** A2S's blend weight and learning-rate scale of this step (from its diagnostics). */
  w?: number;
  lrScale?: number;
}

export interface Trainer {
  /** What actually runs (for tfjs, `tf.getBackend()` after set-up). */
  readonly backend: string;
  /** One optimizer step on a batch of rows of 784 pixels. */
  step(x: Float32Array, y: Uint8Array): Promise<StepResult>;
  /** Share of `images` classified as `labels` says. */
  accuracy(images: Float32Array, labels: Uint8Array): Promise<number>;
  /** The weights, keyed and laid out as @a2s/mlp's `params`. */
  parameters(): Promise<Record<MlpParamName, Float32Array>>;
  /** Frees what the trainer holds (tensors); it is not used afterwards. */
  dispose(): void;
}

export interface Stack {
  create(config: TrainerConfig): Promise<Trainer>;
}
