/** What the bench needs from each adapter, whatever its tensors are. */
import type { A2SOptions } from "@a2s/core";
import type { Kind } from "../results.js";

/** Tensor name to shape; the bench fills parameters and gradients itself. */
export type TensorShapes = Readonly<Record<string, readonly number[]>>;

/** Optimizer state as counted from the state itself. */
export interface StateSize {
  bytes: number;
  bytesPerElement: number;
  /** Where it was counted, e.g. "checkpoint slots". */
  source: string;
}

/** One optimizer over fixed parameters, stepped with gradients the bench made. */
export interface Stepper {
  /** One update. Returns a promise when {@link async} is true. */
  step(): unknown;
  async: boolean;
  stateSize(): Promise<StateSize>;
  dispose(): void | Promise<void>;
}

/** Makes steppers for one adapter (one row label, e.g. "tfjs wasm"). */
export interface StepAdapter {
  name: string;
  /** `a2sOptions`: A2S's options instead of its defaults (ignored for Adam). */
  make(kind: Kind, shapes: TensorShapes, a2sOptions?: Partial<A2SOptions>): Promise<Stepper>;
  /** Whether `make` honours `a2sOptions` (the raw WebAssembly kernels have no options): the features rows. */
  takesOptions?: boolean;
  /**
   * Cheap enough per step to time at every size, `--quick` included: typed's SIMD and
   * fused kernels, whose 1e7 rows are the bandwidth figures, and the WebAssembly kernels
   * (their 1e7 rows are held to the C limit); tfjs's fused kernel, whose 1e7 rows are its
   * goal's against tf.train.adam.
   */
  cheapAtEverySize?: boolean;
  /**
   * A second configuration of an adapter already listed, timed at the MLP's size only to
   * show where the time goes; its state is the same and not counted again.
   */
  variant?: boolean;
}

/** The seed's MLP under one adapter, trained one batch of 64 at a time. */
export interface Trainer {
  step(x: Float32Array, y: Uint8Array): unknown;
  accuracy(x: Float32Array, y: Uint8Array): number | Promise<number>;
  dispose(): void | Promise<void>;
}

export interface TrainAdapter {
  name: string;
  make(kind: Kind, seed: number): Promise<Trainer>;
  /**
   * Most steps worth timing even in a full run, for an adapter so slow that a whole
   * epoch would take minutes; its epoch is then extrapolated, and labelled so.
   */
  maxSteps?: number;
}

/** What loading one adapter package yields. */
export interface AdapterSet {
  steppers: StepAdapter[];
  trainers: TrainAdapter[];
}

/** One adapter package, loaded on demand so a missing one becomes a row that says so. */
export interface AdapterFamily {
  /** The row labels it provides, used to report it as unavailable when loading fails. */
  names: readonly string[];
  load(): Promise<AdapterSet>;
}
