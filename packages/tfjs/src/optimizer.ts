/**
 * The optimizers of this package: any algorithm of `@a2s/core` as a `tf.Optimizer`. The
 * engine of `@a2s/core` does the bookkeeping; this file adds the tfjs idiom (gradients
 * by variable name, `minimize`, `getWeights`/`setWeights`, configs, serialization).
 */
import {
  type A2SOptions,
  type AdamOptions,
  type Algorithm,
  type AlgorithmDefinition,
  type AllReduce,
  a2s as a2sAlgorithm,
  adam as adamAlgorithm,
  algorithmFrom,
  BUILT_IN_ALGORITHMS,
  builtInAlgorithmOf,
  Engine,
  InvalidCallError,
  InvalidOptionError,
  type LoadOptions,
  type PreparedStep,
  type RMSPropOptions,
  rmsprop as rmspropAlgorithm,
  type SGDMomentumOptions,
  type StepDiagnostics,
  type StepOutcome,
  sgdMomentum as sgdMomentumAlgorithm,
} from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import { type TensorBackend, tensorBackend } from "./backend.js";
import {
  checkSettings,
  type OptimizerSettings,
  optionsFromConfig,
  optionsToConfig,
  splitConfig,
} from "./config.js";
import { Expr } from "./expr.js";
import { forgetRanges, keepRanges, proveFinite } from "./finite-proof.js";
import {
  forgetFusedBounds,
  fusedApplies,
  fusedStep,
  type Kernel,
  registerFusedKernels,
} from "./fused-kernels.js";
import { checkVarList, type NamedTensor, readGradients } from "./gradients.js";
import type { NonFiniteMode } from "./non-finite.js";
import { checkpointFromWeights, scalarWeightName, slotWeightName } from "./optimizer-weights.js";
import { guardedOutcome } from "./skip-guard.js";
import { hostValuesFor, recordStep, replayStep, type StepTrace } from "./step-trace.js";
import { TensorOps } from "./tensor-ops.js";

/** tfjs steps synchronously (`minimize`, `fit`): an `allReduce` must answer at once. */
function synchronous(allReduce: AllReduce): AllReduce {
  return (partials) => {
    const totals = allReduce(partials);
    if (typeof (totals as { then?: unknown } | null)?.then === "function") {
      (totals as Promise<unknown>).catch(() => undefined);
      throw new InvalidCallError(
        "allReduce",
        "returned a promise; tfjs optimizers step synchronously, so it must return the sums",
      );
    }
    return totals;
  };
}

/** Every value a step will commit, run before anything is assigned (lazy values read old state). */
function settle(ops: TensorOps, outcome: StepOutcome<Expr>): void {
  const values = [
    ...(outcome.params ?? []),
    ...(outcome.slots ?? []).flatMap((own) => Object.values(own)),
    ...Object.values(outcome.scalars ?? {}),
    ...outcome.published.values(),
  ];
  for (const value of values) if (value.value === undefined) ops.evaluate(value);
}

/** A class that names its algorithm, so that `fromConfig` can rebuild it from options. */
interface NamedOptimizerClass {
  readonly definition: AlgorithmDefinition;
  new (options?: Record<string, unknown>, settings?: OptimizerSettings): Optimizer;
}

/**
 * Any algorithm of `@a2s/core` (built in, or made with `defineAlgorithm`) as a
 * `tf.Optimizer`: `new Optimizer(algorithm, settings)`. {@link A2S}, {@link Adam},
 * {@link RMSProp} and {@link SGDMomentum} are this class with their algorithm built in.
 *
 * A step runs inside `tf.tidy`; data-dependent scalars (curvature, clipping factor) stay
 * tensors. The variable set is fixed by the first step.
 */
export class Optimizer extends tf.Optimizer {
  /** @nocollapse */
  static get className(): string {
    return "A2S.Optimizer";
  }

  /** tf.Optimizer answers `instanceof` by duck typing; these classes answer it by class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof asks about (a subclass too).
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  readonly #ops = new TensorOps();
  readonly #backend: TensorBackend;
  readonly #engine: Engine<Expr>;
  readonly #nonFinite: NonFiniteMode;
  readonly #kernel: Kernel;
  /** Steps the `"skip"` guard discarded since construction or the last load. */
  #skipped: tf.Variable | undefined;
  /** The step count as `getWeights` lists it. */
  #iter: tf.Variable | undefined;
  readonly #varList: readonly string[] | undefined;
  /** Recorded steps, most recent first. */
  #traces: StepTrace[] = [];

  /**
   * @throws InvalidOptionError an algorithm that is none, an unknown setting or a bad value.
   */
  constructor(algorithm: Algorithm, settings?: OptimizerSettings) {
    super();
    const checked = checkSettings(settings);
    this.#nonFinite = checked.nonFinite ?? "throw";
    this.#kernel = checked.kernel ?? "fused";
    this.#backend = tensorBackend(this.#ops, this.#nonFinite);
    const { allReduce } = checked;
    this.#engine = new Engine(algorithm, this.#backend, {
      allReduce: typeof allReduce === "function" ? synchronous(allReduce) : allReduce,
    });
    this.#varList = checked.varList?.map((variable) => variable.name);
  }

  /**
   * A new optimizer of the built-in algorithm a checkpoint was saved by (an {@link A2S},
   * {@link Adam}, ...), holding its options and state.
   *
   * @throws CheckpointError as {@link Optimizer.loadCheckpoint}, or a checkpoint of an
   * algorithm that is not built in (make that optimizer, then load).
   */
  static fromCheckpoint(bytes: Uint8Array, settings?: OptimizerSettings): Optimizer {
    const algorithm = builtInAlgorithmOf(bytes);
    const named = NAMED_CLASSES.find((cls) => cls.definition === algorithm.definition);
    const optimizer =
      named === undefined ? new Optimizer(algorithm, settings) : new named(undefined, settings);
    try {
      optimizer.loadCheckpoint(bytes);
    } catch (error) {
      optimizer.dispose();
      throw error;
    }
    return optimizer;
  }

  /** Steps taken so far; `iterations` is tfjs's name for the same count. */
  get t(): number {
    return this.#engine.t;
  }
  override get iterations(): number {
    return this.#engine.t;
  }
  /** `"A2S"`, `"Adam"`, ...: the name of the algorithm, which its checkpoints and configs carry. */
  get algorithm(): string {
    return this.#engine.algorithm.name;
  }
  /** The options over their defaults, `groups` included (a loaded checkpoint brings its own). */
  get options(): Readonly<Record<string, unknown>> {
    return this.#engine.algorithm.options;
  }
  /** What a step with a non-finite gradient or result does. */
  get nonFinite(): NonFiniteMode {
    return this.#nonFinite;
  }
  /**
   * The kernel the next step runs on the current backend: `"fused"` where the `kernel`
   * setting allows it and the backend has a fused kernel for the algorithm (A2S without
   * the automatic switch on cpu and wasm; Adam, RMSProp, SGD with momentum on cpu), else
   * `"generic"`.
   */
  get kernel(): Kernel {
    if (this.#kernel === "generic") return "generic";
    return fusedApplies(this.#engine.algorithm, this.#engine.allReduce !== undefined) ? "fused" : "generic";
  }
  /**
   * What the last step did, read from the device when first asked (a few scalars);
   * undefined before the first step and after loading state.
   */
  get diagnostics(): StepDiagnostics | undefined {
    return this.#engine.diagnostics();
  }

  /** {@link Optimizer.diagnostics} without a blocking read on backends that have async reads (webgl). */
  async readDiagnostics(): Promise<StepDiagnostics | undefined> {
    await Promise.all(this.#backend.kept().map((tensor) => tensor.data()));
    return this.#engine.diagnostics();
  }

  /** Steps the `"skip"` guard discarded since construction or the last load. */
  async readSkippedSteps(): Promise<number> {
    return this.#skipped === undefined ? 0 : ((await this.#skipped.data())[0] as number);
  }

  #checkUsable(operation: string): void {
    if (this.#engine.disposed) throw new InvalidCallError(operation, "the optimizer was disposed");
  }

  /**
   * One step, from a `NamedTensorMap` or `NamedTensor[]` of registered variables'
   * gradients (as `tf.train.adam()` takes them). All or nothing: every check runs before
   * any variable or state changes.
   *
   * @throws TensorMismatchError an unregistered, missing or extra variable, a gradient
   * whose shape or dtype (float32) does not fit.
   * @throws NonFiniteGradientError a NaN or ±Infinity in a gradient (`nonFinite: "throw"`).
   * @throws NonFiniteResultError a step whose results would not be finite (`"throw"`).
   * @throws InvalidOptionError a schedule that leaves its range at this step, or a group
   * that takes no variable (first step).
   * @throws InvalidCallError after `dispose()`, or an `allReduce` that breaks its contract.
   */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    this.#checkUsable("applyGradients");
    const gradients = readGradients(variableGradients);
    const engine = this.#engine;
    if (this.#varList !== undefined && engine.tensors === undefined) checkVarList(this.#varList, gradients);
    const ops = this.#ops;
    tf.tidy(() => {
      const prepared = engine.prepare(
        gradients.map(({ name, variable, grad }) => ({
          name,
          shape: variable.shape,
          dtype: "float32" as const,
          param: Expr.input(variable),
          grad: Expr.input(grad),
        })),
      );
      if (this.kernel === "fused") {
        // Undefined: a non-finite gradient or result, which the generic path below refuses or skips.
        const fused = fusedStep(engine, prepared);
        if (fused !== undefined) {
          engine.commit(prepared, fused);
          forgetRanges(prepared);
          return;
        }
      }
      // The fused kernel's bounds on the state do not follow a step it did not take.
      forgetFusedBounds(prepared.state);
      let outcome: StepOutcome<Expr>;
      let proven: ReturnType<typeof proveFinite>;
      let replayed = false;
      if (engine.allReduce === undefined) {
        const { trace, hostValues } = this.#traceFor(prepared);
        ops.beginStep({ hostValues });
        const replay = replayStep(ops, trace, prepared);
        outcome = replay.outcome;
        replayed = true;
        if (this.#nonFinite === "throw") {
          proven = proveFinite(ops, trace, replay.tensors);
          if (proven === undefined) {
            // Not proven: the engine's step checks every element (and names a culprit).
            ops.beginStep();
            outcome = engine.compute(prepared) as StepOutcome<Expr>;
            replayed = false;
          }
        }
      } else {
        // Synchronous: an allReduce that returns a promise throws inside (see synchronous()).
        ops.beginStep();
        outcome = engine.compute(prepared) as StepOutcome<Expr>;
      }
      if (this.#nonFinite === "skip") {
        this.#skipped ??= tf.variable(tf.scalar(0, "int32"), false);
        outcome = guardedOutcome(ops, prepared, outcome, this.#skipped);
      }
      // A replayed step ran already; the engine's lazy values still read the old state.
      if (!replayed) settle(ops, outcome);
      engine.commit(prepared, outcome);
      if (proven === undefined) forgetRanges(prepared);
      else keepRanges(proven);
    });
  }

  /** A recorded step that replays `prepared`, recorded now if none does, with this step's host values. */
  #traceFor(prepared: PreparedStep<Expr>): { trace: StepTrace; hostValues: Map<string, number> } {
    const algorithm = this.#engine.algorithm;
    for (const trace of this.#traces) {
      const hostValues = hostValuesFor(trace, algorithm, prepared);
      if (hostValues !== undefined) return { trace, hostValues };
    }
    const trace = recordStep(this.#ops, algorithm, prepared);
    // The phases of a run (first step, pure Adam, blend, pure SGD) each fold differently.
    this.#traces = [trace, ...this.#traces].slice(0, 4);
    return { trace, hostValues: new Map(trace.hosts.map(([name, at]) => [name, at(prepared.t)])) };
  }

  /**
   * tf.Optimizer's `minimize`, which also frees the cost and the gradients when the step
   * is refused.
   */
  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    const { value, grads } = this.computeGradients(f, varList);
    try {
      this.applyGradients(
        varList === undefined
          ? grads
          : varList.map((v) => ({ name: v.name, tensor: grads[v.name] as tf.Tensor })),
      );
    } catch (error) {
      value.dispose();
      throw error;
    } finally {
      tf.dispose(grads);
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /** The state as bytes in the core checkpoint format, loadable by every adapter. */
  saveCheckpoint(): Uint8Array {
    return this.#engine.save();
  }

  /**
   * Replaces options, step count and state with those of a checkpoint (from this package
   * or any adapter), all or nothing. Values are cast to float32 at the next step (refused
   * if float32 cannot hold one). If the optimizer holds variables already, the checkpoint
   * must hold the same names (or, with `{ match: "position" }`, the same order) and sizes.
   *
   * @throws CheckpointError damaged bytes, another format version or algorithm, other
   * tensors, or any stored value out of range.
   */
  loadCheckpoint(bytes: Uint8Array, options?: LoadOptions): void {
    this.#engine.load(bytes, options);
    this.#afterLoad();
  }

  #afterLoad(): void {
    // Options and state objects changed: the recorded steps and cached scalars are of the old ones.
    this.#traces = [];
    this.#ops.clear();
    this.#skipped?.dispose();
    this.#skipped = undefined;
  }

  /**
   * The state as tfjs-layers saves it with `includeOptimizer: true`: `iter`, then
   * `scalar/<name>` per scalar of the algorithm, then `<variable>/<slot>` per slot of
   * each variable, in the optimizer's variable order. The tensors are the optimizer's own
   * (do not dispose them).
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.#checkUsable("getWeights");
    const { algorithm, state, tensors, t } = this.#engine;
    const iter = tf.tidy(() => {
      const count = tf.scalar(t, "int32");
      if (this.#iter === undefined) this.#iter = tf.variable(count, false);
      else this.#iter.assign(count);
      return this.#iter;
    });
    const weights: NamedTensor[] = [{ name: "iter", tensor: iter }];
    if (state === undefined || tensors === undefined) return weights;
    for (const [name] of algorithm.scalars) {
      weights.push({
        name: scalarWeightName(name),
        tensor: this.#backend.variableOf(state.scalars[name] as Expr),
      });
    }
    tensors.forEach((info, i) => {
      for (const [slot] of algorithm.slots) {
        weights.push({
          name: slotWeightName(info.name, slot),
          tensor: this.#backend.variableOf(state.slots[i]?.[slot] as Expr),
        });
      }
    });
    return weights;
  }

  /**
   * Restores what {@link Optimizer.getWeights} gave (as `tf.loadLayersModel` does). The
   * variables are matched by position at the next step, as tfjs's own optimizers do,
   * since a reloaded model's variables may carry other names. The tensors are copied.
   *
   * @throws CheckpointError weights that are not this algorithm's, all or nothing.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    this.#checkUsable("setWeights");
    const bytes = await checkpointFromWeights(this.#engine.algorithm, weightValues);
    this.#checkUsable("setWeights");
    this.#engine.load(bytes, { match: "position" });
    this.#afterLoad();
  }

  /**
   * The options as data (schedules, groups, `"Infinity"`) and `nonFinite`; the generic
   * class also names its algorithm.
   */
  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...optionsToConfig(this.#engine.algorithm.optionSet),
      nonFinite: this.#nonFinite,
    };
    if (this.constructor === Optimizer) config.algorithm = this.#engine.algorithm.name;
    return config;
  }

  /**
   * Rebuilds an optimizer from {@link Optimizer.getConfig}'s output (keys tfjs-layers adds,
   * such as `customObjects`, are ignored). The generic class rebuilds built-in algorithms;
   * for another, register a subclass with its own `className` and `definition`.
   *
   * @throws InvalidOptionError an option that is not valid, or an unknown algorithm.
   * @nocollapse
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { options, settings, algorithm } = splitConfig(config);
    const named = cls as unknown as Partial<NamedOptimizerClass>;
    if (named.definition !== undefined) {
      const set = optionsFromConfig(named.definition, options);
      return new (cls as unknown as NamedOptimizerClass)(
        algorithmFrom(named.definition, set).options as Record<string, unknown>,
        settings,
      ) as unknown as T;
    }
    const factory =
      typeof algorithm === "string" && Object.hasOwn(BUILT_IN_ALGORITHMS, algorithm)
        ? BUILT_IN_ALGORITHMS[algorithm]
        : undefined;
    if (factory === undefined) {
      throw new InvalidOptionError(
        "algorithm",
        algorithm,
        `one of ${Object.keys(BUILT_IN_ALGORITHMS).join(", ")} (register a subclass with a definition for others)`,
      );
    }
    const set = optionsFromConfig(factory.definition, options);
    return new Optimizer(algorithmFrom(factory.definition, set), settings) as unknown as T;
  }

  /** Frees every tensor this optimizer made; later calls throw `InvalidCallError`. */
  override dispose(): void {
    if (this.#engine.disposed) return;
    this.#engine.dispose();
    this.#traces = [];
    this.#ops.clear();
    this.#skipped?.dispose();
    this.#iter?.dispose();
  }
}

/**
 * A2S (AdaFusion): Adam blended into SGD with momentum, both learning rates shrunk by the
 * norm of the gradient change. Registered for serialization as `"A2S"`.
 *
 * @example
 * model.compile({ optimizer: new A2S({ lrAdam: 1e-3 }), loss: "categoricalCrossentropy" });
 */
export class A2S extends Optimizer {
  static readonly definition = a2sAlgorithm.definition;
  /** @nocollapse */
  static override get className(): string {
    return "A2S";
  }
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<A2SOptions>, settings?: OptimizerSettings) {
    super(a2sAlgorithm(options), settings);
  }
}

/** Adam (AdamW with `weightDecay`; defaults as `tf.train.adam` but epsilon 1e-8). Registered as `"A2S.Adam"`. */
export class Adam extends Optimizer {
  static readonly definition = adamAlgorithm.definition;
  /** @nocollapse */
  static override get className(): string {
    return "A2S.Adam";
  }
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<AdamOptions>, settings?: OptimizerSettings) {
    super(adamAlgorithm(options), settings);
  }
}

/** RMSProp without momentum (learningRate 0.001, decay 0.9, epsilon 1e-8). Registered as `"A2S.RMSProp"`. */
export class RMSProp extends Optimizer {
  static readonly definition = rmspropAlgorithm.definition;
  /** @nocollapse */
  static override get className(): string {
    return "A2S.RMSProp";
  }
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<RMSPropOptions>, settings?: OptimizerSettings) {
    super(rmspropAlgorithm(options), settings);
  }
}

/**
 * SGD with momentum in the seed's form `buf = momentum·buf + g`, `p −= lr·buf`
 * (learningRate 0.01, momentum 0.9). Registered as `"A2S.SGDMomentum"`.
 */
export class SGDMomentum extends Optimizer {
  static readonly definition = sgdMomentumAlgorithm.definition;
  /** @nocollapse */
  static override get className(): string {
    return "A2S.SGDMomentum";
  }
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<SGDMomentumOptions>, settings?: OptimizerSettings) {
    super(sgdMomentumAlgorithm(options), settings);
  }
}

const NAMED_CLASSES: readonly NamedOptimizerClass[] = [A2S, Adam, RMSProp, SGDMomentum] as never;

registerFusedKernels();

// Importing this module registers the classes, so that tf.loadLayersModel finds them.
for (const cls of [Optimizer, A2S, Adam, RMSProp, SGDMomentum]) tf.serialization.registerClass(cls);

/**
 * An {@link A2S} optimizer, in the style of `tf.train.adam(...)`.
 *
 * @example
 * model.compile({ optimizer: a2s({ lrAdam: 1e-3, weightDecay: 1e-4 }), loss: "categoricalCrossentropy" });
 * @throws InvalidOptionError an unknown option or a value out of range.
 */
export function a2s(options?: Partial<A2SOptions>, settings?: OptimizerSettings): A2S {
  return new A2S(options, settings);
}

/** An {@link Adam} optimizer. @throws InvalidOptionError an unknown option or a value out of range. */
export function adam(options?: Partial<AdamOptions>, settings?: OptimizerSettings): Adam {
  return new Adam(options, settings);
}

/** An {@link RMSProp} optimizer. @throws InvalidOptionError an unknown option or a value out of range. */
export function rmsprop(options?: Partial<RMSPropOptions>, settings?: OptimizerSettings): RMSProp {
  return new RMSProp(options, settings);
}

/** An {@link SGDMomentum} optimizer. @throws InvalidOptionError an unknown option or a value out of range. */
export function sgdMomentum(
  options?: Partial<SGDMomentumOptions>,
  settings?: OptimizerSettings,
): SGDMomentum {
  return new SGDMomentum(options, settings);
}
