/**
 * What an adapter tells the conformance suite about itself. The suite speaks float64
 * host arrays; the adapter converts them to its own tensors and back.
 */
import type { FloatDType, StepDiagnostics } from "@a2s/core";

export type OptimizerKind = "A2S" | "Adam" | "RMSProp" | "SGDMomentum";

/** A tensor as the suite describes it: a shape and float64 values (row-major). */
export interface HostTensor {
  shape: number[];
  data: Float64Array;
}

/** One optimizer made by the adapter, over parameters the suite chose. */
export interface OptimizerUnderTest {
  /**
   * One update with these gradients. The adapter converts each given entry to its own
   * tensor type as it is (same names, same lengths, values cast to the dtype), so that
   * bad input (missing, extra, wrong length, NaN) reaches the optimizer unchanged.
   */
  step(grads: Record<string, Float64Array>): void | Promise<void>;
  /** The current parameters, read back as float64. */
  read(): Record<string, Float64Array> | Promise<Record<string, Float64Array>>;
  /** Optimizer state in the core checkpoint format. */
  save(): Uint8Array | Promise<Uint8Array>;
  /** Replaces the optimizer state with a checkpoint (parameters are not part of it). */
  load(bytes: Uint8Array): void | Promise<void>;
  /** Diagnostics of the last A2S step, where the adapter exposes them. */
  diagnostics?(): StepDiagnostics | Promise<StepDiagnostics>;
  dispose?(): void | Promise<void>;
}

/** One MNIST training run, as the training tier asks for it. */
export interface TrainingRequest {
  kind: OptimizerKind;
  /** Options for that kind (A2S names, or tfjs-style names for the baselines). */
  options: Record<string, number>;
  /** Batches of 64 images (784 floats each in [0, 1]) with their labels, in order. */
  batches: readonly { x: Float32Array; y: Uint8Array }[];
  /** Test set to score after the last batch. */
  test: { x: Float32Array; y: Uint8Array };
  /** Seed for the weight initialisation. */
  seed: number;
}

export interface AdapterDescription {
  /** Shown in test names, e.g. "typed (fused)" or "tfjs wasm". */
  name: string;
  /** Element types the adapter computes in; the math tier runs each. */
  dtypes: readonly FloatDType[];
  /** Optimizer kinds it offers; A2S is required. */
  kinds: readonly OptimizerKind[];
  create(
    kind: OptimizerKind,
    options: Record<string, number>,
    params: Record<string, HostTensor>,
    dtype: FloatDType,
  ): OptimizerUnderTest | Promise<OptimizerUnderTest>;
  /**
   * Optional: steps with gradients given directly as typed arrays of possibly mixed
   * dtypes, for adapters whose users hand in typed arrays (the "mixed dtypes" case).
   */
  stepRaw?(
    optimizer: OptimizerUnderTest,
    grads: Record<string, Float32Array | Float64Array>,
  ): void | Promise<void>;
  /** Trains the seed's MLP and returns the test accuracy in [0, 1]. Needed by the training tier. */
  train?(request: TrainingRequest): number | Promise<number>;
}
