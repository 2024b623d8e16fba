/**
 * What an adapter tells the conformance suite about itself. The suite speaks float64
 * host arrays and describes each optimizer by its algorithm and options; the adapter
 * builds its own optimizer from that and converts tensors both ways.
 */
import type { Algorithm, AlgorithmFactory, AllReduce, FloatDType, StepDiagnostics } from "@a2s/core";

/** A tensor as the suite describes it: a shape and float64 values (row-major). */
export interface HostTensor {
  shape: number[];
  data: Float64Array;
}

/** Float64 host arrays by tensor name. */
export type HostArrays = Record<string, Float64Array>;

/**
 * An optimizer as the suite asks for it: an algorithm factory of `@a2s/core` (a2s, adam,
 * rmsprop, sgdMomentum, or one made with `defineAlgorithm`) and its options. Any
 * algorithm: the suite's own cases include one defined outside core.
 */
export interface OptimizerDescription {
  readonly algorithm: AlgorithmFactory<never>;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Builds the algorithm of a description (this is where bad options are refused). */
export function algorithmOf(description: OptimizerDescription): Algorithm {
  return description.algorithm(description.options as never);
}

/** How an optimizer runs besides its algorithm, where the suite sets it. */
export interface CreateSettings {
  readonly allReduce?: AllReduce;
}

/** One optimizer made by the adapter, over parameters the suite chose. */
export interface OptimizerUnderTest {
  /**
   * One update with these gradients. The adapter converts each given entry to its own
   * tensor type as it is (same names, same lengths, values cast to the dtype), so that
   * bad input (missing, extra, wrong length, NaN) reaches the optimizer unchanged.
   */
  step(grads: HostArrays): void | Promise<void>;
  /** The current parameters, read back as float64. */
  read(): HostArrays | Promise<HostArrays>;
  /** Optimizer state in the core checkpoint format. */
  save(): Uint8Array | Promise<Uint8Array>;
  /** Replaces the optimizer state with a checkpoint (parameters are not part of it). */
  load(bytes: Uint8Array): void | Promise<void>;
  /** What the last step did (undefined before a step). */
  diagnostics(): StepDiagnostics | undefined | Promise<StepDiagnostics | undefined>;
  dispose?(): void | Promise<void>;
}

/** One MNIST training run, as the training tier asks for it. */
export interface TrainingRequest {
  optimizer: OptimizerDescription;
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
  /** Element types the adapter computes in; the tiers run each. */
  dtypes: readonly FloatDType[];
  create(
    optimizer: OptimizerDescription,
    params: Record<string, HostTensor>,
    dtype: FloatDType,
    settings?: CreateSettings,
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
