import { type A2SOptions, InvalidOptionError, resolveA2SOptions, type StepDiagnostics } from "@a2s/core";
import type {
  INeuralNetworkJSON,
  INeuralNetworkOptions,
  INeuralNetworkState,
  INeuralNetworkTrainingOptions,
} from "brain.js";
import { type BrainInternals, BrainNeuralNetwork } from "./brain-internals.js";
import { LayerOptimizer } from "./layer-optimizer.js";
import { layerTensors, writeGradients } from "./layout.js";
import { checkTrainingData } from "./training-data.js";

/** Constructor options: brain.js's network and training options, plus A2S's. */
export interface A2SNeuralNetworkOptions extends INeuralNetworkOptions, INeuralNetworkTrainingOptions {
  /**
   * A2S hyperparameters, named as in `@a2s/core`; unset ones take the seed's defaults.
   * They replace brain's `learningRate`, `momentum` and `praxis`, which A2S does not use.
   */
  a2s?: Partial<A2SOptions>;
}

/** brain.js's network JSON plus the A2S hyperparameters. */
export interface A2SNeuralNetworkJSON extends INeuralNetworkJSON {
  a2s?: Partial<A2SOptions>;
}

/** brain.js methods the typings leave out, called on the base prototype. */
interface BrainMethods {
  initialize(this: A2SNeuralNetwork): void;
  prepTraining(
    this: A2SNeuralNetwork,
    data: unknown,
    options: INeuralNetworkTrainingOptions,
  ): { data: unknown; status: INeuralNetworkState; endTime: number };
  trainingTick(this: A2SNeuralNetwork, data: unknown, status: INeuralNetworkState, endTime: number): boolean;
}
const brainMethods = BrainNeuralNetwork.prototype as unknown as BrainMethods;

/**
 * A brain.js `NeuralNetwork` whose weights and biases are updated by A2S (AdaFusion)
 * instead of brain's SGD or `adam` praxis. Every layer's weight matrix (`weights.<l>`,
 * shape `[nodes, inputs]`) and bias vector (`biases.<l>`) is one A2S tensor; layers are
 * counted from 1, the input layer being 0.
 *
 * Like brain, it updates once per training pattern (batch size 1): the gradient of a
 * step is that of brain's own per-pattern loss (half the summed squared error of the
 * output layer), formed from brain's backpropagated deltas. A2S's step count, and so
 * its Adam-to-SGD schedule, counts patterns.
 *
 * Training data is checked whole before any of it is used (`TrainingDataError`).
 */
export class A2SNeuralNetwork extends BrainNeuralNetwork {
  /** The A2S hyperparameters in force, resolved against the seed's defaults. */
  declare a2s: Readonly<A2SOptions>;
  private declare optimizer: LayerOptimizer | null;

  /**
   * @throws InvalidOptionError for an A2S option that is unknown or out of range, or a
   *   `praxis` other than null.
   */
  constructor(options: A2SNeuralNetworkOptions = {}) {
    const a2s = resolveA2SOptions(options.a2s);
    checkPraxis(options.praxis);
    super(options);
    this.a2s = a2s;
    this.optimizer = null;
  }

  /** Called by brain whenever it (re)builds the layers: the optimizer state starts over. */
  protected initialize(): void {
    brainMethods.initialize.call(this);
    this.optimizer = null;
  }

  /** Called by brain's `train` and `trainAsync`: the data is checked before brain sees it. */
  protected prepTraining(
    data: unknown,
    options: INeuralNetworkTrainingOptions = {},
  ): { data: unknown; status: INeuralNetworkState; endTime: number } {
    checkPraxis(options.praxis);
    const sizes = this.internals.sizes;
    checkTrainingData(
      data,
      sizes === null ? null : { input: sizes[0] as number, output: sizes[sizes.length - 1] as number },
    );
    return brainMethods.prepTraining.call(this, data, options);
  }

  /** Called by brain after each pattern's backpropagation: one A2S step. */
  protected adjustWeights(): void {
    const optimizer = this.layerOptimizer();
    writeGradients(this.internals, optimizer.grads);
    optimizer.step();
  }

  /**
   * As brain's `trainAsync`, yielding to the event loop between iterations, except that
   * an error thrown during training (bad data, a non-finite gradient) rejects the promise
   * rather than escaping from a timer.
   */
  override async trainAsync(
    data: unknown,
    options: INeuralNetworkTrainingOptions = {},
  ): Promise<INeuralNetworkState> {
    const prepared = this.prepTraining(data, options);
    while (brainMethods.trainingTick.call(this, prepared.data, prepared.status, prepared.endTime)) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return prepared.status;
  }

  /**
   * One A2S step with gradients you computed yourself, keyed by tensor name (`weights.1`,
   * `biases.1`, ...): every tensor, as a Float32Array of its length, finite. Lets a custom
   * loss drive the same optimizer that `train` uses.
   *
   * @throws TensorMismatchError for a missing, unknown, wrong-length or non-float32 tensor;
   *   NonFiniteGradientError for NaN or ±Infinity. Nothing changes when it throws.
   */
  applyGradients(grads: Record<string, Float32Array>): void {
    this.layerOptimizer().apply(grads);
  }

  /** What the last A2S step did (blend weight, curvature, effective rates); `undefined` before it. */
  diagnostics(): StepDiagnostics | undefined {
    return this.optimizer?.a2s.diagnostics;
  }

  /**
   * The optimizer state (step count, hyperparameters, per-tensor Adam moments, momentum
   * buffer and previous gradient) in the portable `@a2s/core` checkpoint format, named
   * `weights.<l>` / `biases.<l>`. The weights themselves are in {@link toJSON}.
   */
  saveCheckpoint(): Uint8Array {
    return this.layerOptimizer().a2s.saveCheckpoint();
  }

  /**
   * Restores optimizer state saved by {@link saveCheckpoint} (or by any A2S adapter for
   * tensors of the same names and shapes); its hyperparameters replace {@link a2s}.
   *
   * @throws CheckpointError when the bytes are damaged, of another algorithm or format
   *   version, or for other tensors; nothing changes then.
   */
  loadCheckpoint(bytes: Uint8Array): void {
    const { a2s } = this.layerOptimizer();
    a2s.loadCheckpoint(bytes);
    this.a2s = a2s.options;
  }

  /** brain's JSON with the A2S hyperparameters added under `a2s`. */
  override toJSON(): A2SNeuralNetworkJSON {
    return { ...super.toJSON(), a2s: { ...this.a2s } };
  }

  /**
   * Loads brain JSON: this class's, or a plain `brain.NeuralNetwork`'s (whose `praxis`
   * is dropped, since updates here are A2S's). The `a2s` options in the JSON, if any,
   * replace the current ones. The optimizer state starts over; restore it with
   * {@link loadCheckpoint}.
   *
   * @throws InvalidOptionError for bad `a2s` options in the JSON, before anything changes.
   */
  override fromJSON(json: A2SNeuralNetworkJSON): this {
    const a2s = json.a2s === undefined ? this.a2s : resolveA2SOptions(json.a2s);
    // brain assigns the JSON's fields onto the network and mutates its trainOpts: hand it copies.
    let copy: A2SNeuralNetworkJSON = { ...json };
    if (json.trainOpts !== undefined) {
      const { praxis: _dropped, ...trainOpts } = json.trainOpts;
      copy = { ...json, trainOpts };
    }
    super.fromJSON(copy);
    // brain 1.6.1 copies `inputLookup: false` from the JSON onto the network, and its
    // toJSON then reports `!== null`, i.e. true: a second round trip would turn array
    // outputs into objects. A flag left where brain built no lookup table becomes null.
    const internals = this.internals;
    if (typeof internals.inputLookup !== "object") internals.inputLookup = null;
    if (typeof internals.outputLookup !== "object") internals.outputLookup = null;
    this.a2s = a2s;
    this.optimizer = null;
    return this;
  }

  private get internals(): BrainInternals {
    return this as unknown as BrainInternals;
  }

  /** The optimizer over the current layers, created (packing the layers) on first use. */
  private layerOptimizer(): LayerOptimizer {
    this.optimizer ??= new LayerOptimizer(layerTensors(this.internals), this.a2s);
    return this.optimizer;
  }
}

function checkPraxis(praxis: unknown): void {
  if (praxis !== undefined && praxis !== null) {
    throw new InvalidOptionError("praxis", praxis, "null: A2SNeuralNetwork always updates with A2S");
  }
}
