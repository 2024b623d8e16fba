import {
  type A2SOptions,
  type Algorithm,
  a2s,
  algorithmFrom,
  InvalidCallError,
  InvalidOptionError,
  resolveOptionSet,
  type StepDiagnostics,
} from "@a2s/core";
import type { INeuralNetworkOptions, INeuralNetworkState, INeuralNetworkTrainingOptions } from "brain.js";
import { type BrainInternals, BrainNeuralNetwork } from "./brain-internals.js";
import { LayerOptimizer } from "./layer-optimizer.js";
import { layerTensors, writeGradients } from "./layout.js";
import {
  type A2SNeuralNetworkJSON,
  algorithmOfJSON,
  checkNetworkJSON,
  optimizerToJSON,
} from "./network-json.js";
import { checkTrainingData } from "./training-data.js";

/** Constructor options: brain.js's network and training options, plus the optimizer. */
export interface A2SNeuralNetworkOptions extends INeuralNetworkOptions, INeuralNetworkTrainingOptions {
  /**
   * The algorithm that updates the weights: `a2s(options)` (the default), `adam(options)`,
   * `rmsprop(options)`, `sgdMomentum(options)` or any algorithm made with
   * `defineAlgorithm`. It replaces brain's `learningRate`, `momentum` and `praxis`.
   */
  optimizer?: Algorithm;
  /** Shorthand for `optimizer: a2s(options)`. */
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
  validateTrainingOptions(options: object): void;
}
const brainMethods = BrainNeuralNetwork.prototype as unknown as BrainMethods;

/**
 * brain's own range check of its training options, run before brain changes anything
 * (brain runs it after assigning them, and throws a plain Error).
 *
 * @throws InvalidOptionError naming the first option brain refuses.
 */
function checkTrainingOptions(options: object, prefix = ""): void {
  for (const [name, value] of Object.entries(options)) {
    try {
      brainMethods.validateTrainingOptions({ [name]: value });
    } catch {
      throw new InvalidOptionError(
        `${prefix}${name}`,
        value,
        "in brain.js's range for it (brain's own check)",
      );
    }
  }
}

/** brain assigns every option and JSON field onto the network: these are this class's. */
function withoutOwnKeys<T extends { optimizer?: unknown; a2s?: unknown }>(
  given: T,
): Omit<T, "optimizer" | "a2s"> {
  const { optimizer: _optimizer, a2s: _a2s, ...rest } = given;
  return rest;
}

function algorithmOfOptions(options: A2SNeuralNetworkOptions): Algorithm {
  const { optimizer } = options;
  if (optimizer === undefined) return a2s(options.a2s);
  if (options.a2s !== undefined) {
    throw new InvalidOptionError(
      "a2s",
      options.a2s,
      "left out when optimizer is given (optimizer: a2s(options))",
    );
  }
  if (
    typeof optimizer?.transform?.update !== "function" ||
    typeof optimizer.definition?.build !== "function"
  ) {
    throw new InvalidOptionError(
      "optimizer",
      optimizer,
      "an algorithm made by a factory of @a2s/core, e.g. adam({ learningRate: 1e-3 }) (not the factory adam itself)",
    );
  }
  return optimizer;
}

/**
 * A brain.js `NeuralNetwork` whose weights and biases are updated by an `@a2s/core`
 * algorithm (A2S by default; Adam, RMSProp, SGD with momentum or any other through the
 * `optimizer` option) instead of brain's SGD or `adam` praxis. Every layer's weight matrix
 * (`weights.<l>`, shape `[nodes, inputs]`) and bias vector (`biases.<l>`) is one tensor;
 * layers are counted from 1, the input layer being 0.
 *
 * Like brain, it updates once per training pattern (batch size 1): the gradient of a
 * step is that of brain's own per-pattern loss (half the summed squared error of the
 * output layer), formed from brain's backpropagated deltas. The step count, and so every
 * schedule, counts patterns.
 *
 * Training data is checked whole before any of it is used (`TrainingDataError`).
 */
export class A2SNeuralNetwork extends BrainNeuralNetwork {
  /** The algorithm with the options in force (a loaded checkpoint's, after `loadCheckpoint`). */
  #algorithm: Algorithm;
  /** The optimizer over the current layers; made on first use, dropped when brain rebuilds them. */
  #layers: LayerOptimizer | undefined;

  /**
   * @throws InvalidOptionError an `optimizer` that is no algorithm, `a2s` options that
   *   A2S refuses (or given beside `optimizer`), a `praxis` other than null, or a
   *   training option out of brain's range (brain alone throws a plain Error).
   */
  constructor(options: A2SNeuralNetworkOptions = {}) {
    const algorithm = algorithmOfOptions(options);
    checkPraxis(options.praxis);
    checkTrainingOptions(options);
    super(withoutOwnKeys(options));
    this.#algorithm = algorithm;
  }

  /** The algorithm's name, as checkpoints record it (`"A2S"`, `"Adam"`, ...). */
  get algorithm(): string {
    return this.#algorithm.name;
  }
  /** The algorithm's options in force, schedules and groups included. */
  get options(): Readonly<Record<string, unknown>> {
    return this.#algorithm.options;
  }
  /** Optimizer steps taken since the layers were built or loaded (0 before the first). */
  get t(): number {
    return this.#layers?.optimizer.t ?? 0;
  }
  /** What the last step did (e.g. A2S's `w`, `curvature`, `lrScale`, `lrAdam`, `lrSgd`); undefined before it. */
  get diagnostics(): StepDiagnostics | undefined {
    return this.#layers?.optimizer.diagnostics;
  }

  /** Called by brain whenever it (re)builds the layers: the optimizer state starts over. */
  protected initialize(): void {
    brainMethods.initialize.call(this);
    this.#layers = undefined;
  }

  /** Called by brain's `train` and `trainAsync`: the data is checked before brain sees it. */
  protected prepTraining(
    data: unknown,
    options: INeuralNetworkTrainingOptions = {},
  ): { data: unknown; status: INeuralNetworkState; endTime: number } {
    checkPraxis(options.praxis);
    checkTrainingOptions(options);
    const sizes = this.#internals.sizes;
    checkTrainingData(
      data,
      sizes === null ? null : { input: sizes[0] as number, output: sizes[sizes.length - 1] as number },
    );
    return brainMethods.prepTraining.call(this, data, options);
  }

  /** Called by brain after each pattern's backpropagation: one optimizer step. */
  protected adjustWeights(): void {
    const layers = this.#layerOptimizer("train");
    writeGradients(this.#internals, layers.grads);
    layers.step();
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
   * One optimizer step with gradients you computed yourself, keyed by tensor name
   * (`weights.1`, `biases.1`, ...): every tensor, as a Float32Array of its length,
   * finite. Lets a custom loss drive the same optimizer that `train` uses.
   *
   * @throws InvalidCallError the network has no layers yet.
   * @throws TensorMismatchError a missing, unknown, wrong-length or non-float32 tensor.
   * @throws NonFiniteGradientError NaN or ±Infinity in a gradient.
   * @throws NonFiniteResultError a step whose weights or state would not be finite.
   * @throws InvalidOptionError a schedule that leaves its range at this step, or a
   *   parameter group that takes none of the layer tensors (first step).
   */
  applyGradients(grads: Record<string, Float32Array>): void {
    this.#layerOptimizer("applyGradients").apply(grads);
  }

  /**
   * The optimizer state (algorithm, options, step count, per-tensor slots such as A2S's
   * moments, momentum buffer and previous gradient) in the portable `@a2s/core`
   * checkpoint format, the tensors named `weights.<l>` / `biases.<l>` with their shapes.
   * The weights themselves are in {@link toJSON}.
   *
   * @throws InvalidCallError the network has no layers yet.
   */
  saveCheckpoint(): Uint8Array {
    return this.#layerOptimizer("saveCheckpoint").optimizer.saveCheckpoint();
  }

  /**
   * Restores optimizer state saved by {@link saveCheckpoint} (or by any adapter, for
   * tensors of the same names and sizes); its options replace {@link options}.
   *
   * @throws InvalidCallError the network has no layers yet.
   * @throws CheckpointError bytes that are damaged, of another algorithm or format
   *   version, or for other tensors; nothing changes then.
   */
  loadCheckpoint(bytes: Uint8Array): void {
    const { optimizer } = this.#layerOptimizer("loadCheckpoint");
    optimizer.loadCheckpoint(bytes);
    const { definition } = this.#algorithm;
    this.#algorithm = algorithmFrom(definition, resolveOptionSet(definition.options, optimizer.options));
  }

  /**
   * brain's JSON with the optimizer added under `optimizer`.
   *
   * @throws InvalidCallError the network has no layers yet (brain's own fails with a TypeError).
   */
  override toJSON(): A2SNeuralNetworkJSON {
    this.#checkLayers("toJSON");
    return { ...super.toJSON(), optimizer: optimizerToJSON(this.#algorithm) };
  }

  /**
   * Loads brain JSON: this class's, or a plain `brain.NeuralNetwork`'s (whose `praxis`
   * is dropped, since updates here are the optimizer's). The `optimizer` in the JSON,
   * if any, replaces the current one (its algorithm must be this network's or a built-in
   * one). The optimizer state starts over; restore it with {@link loadCheckpoint}.
   *
   * @throws TensorMismatchError layers that do not match `sizes`, or a bias or weight
   *   that is not a finite number (`null` is what JSON.stringify writes for NaN).
   * @throws InvalidOptionError an `optimizer` this network cannot take, bad options, or
   *   `trainOpts` out of brain's range.
   */
  override fromJSON(json: A2SNeuralNetworkJSON): this {
    checkNetworkJSON(json);
    const algorithm = algorithmOfJSON(json, this.#algorithm);
    // brain assigns the JSON's fields onto the network and mutates its trainOpts: hand it copies.
    let copy = withoutOwnKeys(json);
    if (json.trainOpts !== undefined) {
      const { praxis: _dropped, ...trainOpts } = json.trainOpts;
      checkTrainingOptions(trainOpts, "trainOpts.");
      copy = { ...copy, trainOpts };
    }
    super.fromJSON(copy as A2SNeuralNetworkJSON);
    // brain 1.6.1 copies `inputLookup: false` from the JSON onto the network, and its
    // toJSON then reports `!== null`, i.e. true: a second round trip would turn array
    // outputs into objects. A flag left where brain built no lookup table becomes null.
    const internals = this.#internals;
    if (typeof internals.inputLookup !== "object") internals.inputLookup = null;
    if (typeof internals.outputLookup !== "object") internals.outputLookup = null;
    this.#algorithm = algorithm;
    this.#layers = undefined;
    return this;
  }

  get #internals(): BrainInternals {
    return this as unknown as BrainInternals;
  }

  /** The optimizer over the current layers, made (packing the layers) on first use. */
  #layerOptimizer(operation: string): LayerOptimizer {
    this.#checkLayers(operation);
    this.#layers ??= new LayerOptimizer(layerTensors(this.#internals), this.#algorithm);
    return this.#layers;
  }

  #checkLayers(operation: string): void {
    if (this.#internals.sizes === null) {
      throw new InvalidCallError(
        operation,
        "the network has no layers yet: train it or load it with fromJSON first",
      );
    }
  }
}

function checkPraxis(praxis: unknown): void {
  if (praxis !== undefined && praxis !== null) {
    throw new InvalidOptionError(
      "praxis",
      praxis,
      "null: A2SNeuralNetwork always updates with its optimizer",
    );
  }
}
