/**
 * The optimizers of this package: any algorithm of `@a2s/core` over records of
 * `Float32Array` / `Float64Array`, updated in place. The engine of `@a2s/core` does the
 * bookkeeping; this file adds the typed-array idiom, the choice of kernel and the arrays
 * that live in the SIMD kernels' memory (`bind`).
 */
import {
  type A2SOptions,
  type AdamOptions,
  type Algorithm,
  type AlgorithmDefinition,
  a2s,
  adam,
  allocateLike,
  builtInAlgorithmOf,
  dtypeOf,
  Engine,
  type EngineSettings,
  type FloatArray,
  type FloatDType,
  InvalidCallError,
  InvalidOptionError,
  type PreparedStep,
  pairTensors,
  type RMSPropOptions,
  rmsprop,
  type SGDMomentumOptions,
  type StepDiagnostics,
  type StepOutcome,
  type StepTensorInput,
  sgdMomentum,
  TensorMismatchError,
  type TensorRecord,
} from "@a2s/core";
import { KernelInputError } from "@a2s/wasm-kernels";
import { fusedA2S } from "./fused-a2s.js";
import { fusedAdam, fusedRMSProp, fusedSGDMomentum } from "./fused-baselines.js";
import { type FusedKernel, type FusedStep, runFused } from "./fused-step.js";
import { hostBackend } from "./host-backend.js";
import { SIMD_KERNELS, type SimdKernel, type SimdRunner, simdAvailable } from "./simd-kernels.js";

/**
 * `"simd"`: WebAssembly SIMD kernels in float32 arithmetic, for float32 tensors. `"fused"`:
 * a JavaScript loop per algorithm, float64 intermediates. `"generic"`: core's transforms
 * over {@link typedArrayOps}.
 */
export type Kernel = "simd" | "fused" | "generic";

const KERNELS: readonly Kernel[] = ["simd", "fused", "generic"];

/** How an optimizer runs (not what it computes). */
export interface OptimizerSettings extends EngineSettings {
  /**
   * The fastest kernel to use; where it does not apply, the next one runs. Defaults to
   * `"simd"`: the WebAssembly SIMD kernels of A2S and the baselines when every tensor is
   * float32 and this JavaScript engine has WebAssembly SIMD. Otherwise `"fused"`: the
   * JavaScript loop of A2S and the baselines. Any other algorithm (and A2S's automatic
   * switch) runs `"generic"`.
   */
  kernel?: Kernel;
  /**
   * Shape of each tensor, as recorded in checkpoints (default: one axis of the array's
   * length, or the shape of a loaded checkpoint's tensor of that size).
   */
  shapes?: Readonly<Record<string, readonly number[]>>;
}

const FUSED_KERNELS = new Map<AlgorithmDefinition, FusedKernel>([
  [a2s.definition, fusedA2S],
  [adam.definition, fusedAdam],
  [rmsprop.definition, fusedRMSProp],
  [sgdMomentum.definition, fusedSGDMomentum],
]);

function checkSettings(settings: unknown): OptimizerSettings {
  if (settings === undefined) return {};
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
    throw new InvalidOptionError("settings", settings, "an object");
  }
  const { kernel, shapes } = settings as OptimizerSettings;
  if (kernel !== undefined && !KERNELS.includes(kernel)) {
    throw new InvalidOptionError("kernel", kernel, '"simd", "fused" or "generic"');
  }
  if (shapes !== undefined) {
    if (typeof shapes !== "object" || shapes === null)
      throw new InvalidOptionError("shapes", shapes, "a record of shapes");
    for (const [name, shape] of Object.entries(shapes)) {
      if (!Array.isArray(shape) || shape.some((size) => !Number.isSafeInteger(size) || size < 0)) {
        throw new InvalidOptionError(`shapes.${name}`, shape, "an array of integers >= 0");
      }
    }
  }
  return settings as OptimizerSettings;
}

/**
 * An optimizer for any algorithm: `new Optimizer(a2s({ lrAdam: 1e-3 }))`. {@link A2S},
 * {@link Adam}, {@link RMSProp} and {@link SGDMomentum} are this class with their
 * algorithm built in.
 */
export class Optimizer {
  readonly #engine: Engine<FloatArray>;
  readonly #settings: OptimizerSettings;
  #busy = false;
  /** The SIMD kernels' memory of the tensor set, once made; `runner` undefined when too large for one. */
  #simd: { kernel: SimdKernel; sizes: readonly number[]; runner: SimdRunner | undefined } | undefined;

  /**
   * @throws InvalidOptionError an algorithm that is none, or bad settings.
   */
  constructor(algorithm: Algorithm, settings?: OptimizerSettings) {
    this.#settings = checkSettings(settings);
    this.#engine = new Engine(algorithm, hostBackend, { allReduce: this.#settings.allReduce });
  }

  /** A new optimizer of the built-in algorithm a checkpoint was saved by, holding its options and state. */
  static fromCheckpoint(bytes: Uint8Array, settings?: OptimizerSettings): Optimizer {
    const optimizer = new Optimizer(builtInAlgorithmOf(bytes), settings);
    optimizer.loadCheckpoint(bytes);
    return optimizer;
  }

  /** The algorithm's name, as checkpoints record it. */
  get algorithm(): string {
    return this.#engine.algorithm.name;
  }
  /** The resolved options (replaced by those of a loaded checkpoint). */
  get options(): Readonly<Record<string, unknown>> {
    return this.#engine.algorithm.options;
  }
  /** Steps taken so far. */
  get t(): number {
    return this.#engine.t;
  }
  /**
   * The kernel that runs the steps of the tensors held (before the tensor set is fixed:
   * of float32 tensors): the one asked for where it applies, else the next one.
   */
  get kernel(): Kernel {
    const held = this.#engine.tensors;
    const simd = this.#simdKernel(held === undefined ? ["float32"] : this.#engine.dtypes);
    const sizes = held?.map((info) => info.size);
    const tooLarge =
      this.#simd?.kernel === simd && sizes?.join() === this.#simd?.sizes.join() && !this.#simd?.runner;
    if (simd !== undefined && !tooLarge) return "simd";
    return this.#fused() === undefined ? "generic" : "fused";
  }
  /** What the last step did; undefined before the first step and after a load. */
  get diagnostics(): StepDiagnostics | undefined {
    return this.#engine.diagnostics();
  }

  #fused(): FusedKernel | undefined {
    if (this.#settings.kernel === "generic") return undefined;
    const algorithm = this.#engine.algorithm;
    const kernel = FUSED_KERNELS.get(algorithm.definition);
    return kernel?.supports?.(algorithm) === false ? undefined : kernel;
  }

  /** The SIMD kernels for tensors of these dtypes, where they apply. */
  #simdKernel(dtypes: readonly FloatDType[]): SimdKernel | undefined {
    if ((this.#settings.kernel ?? "simd") !== "simd" || dtypes.some((dtype) => dtype !== "float32")) {
      return undefined;
    }
    const algorithm = this.#engine.algorithm;
    const kernel = SIMD_KERNELS.get(algorithm.definition);
    if (kernel === undefined || kernel.supports?.(algorithm) === false || !simdAvailable()) return undefined;
    return kernel;
  }

  /** The SIMD kernels over memory for tensors of these sizes (made once); undefined if one memory cannot hold them. */
  #simdRunner(kernel: SimdKernel, sizes: readonly number[]): SimdRunner | undefined {
    const held = this.#simd;
    if (held?.kernel === kernel && held.sizes.join() === sizes.join()) return held.runner;
    let runner: SimdRunner | undefined;
    try {
      runner = kernel.create(sizes);
    } catch (error) {
      // Beyond what one WebAssembly memory holds: the JavaScript loop runs instead.
      if (!(error instanceof KernelInputError)) throw error;
    }
    this.#simd = { kernel, sizes: [...sizes], runner };
    return runner;
  }

  /** The engine's view of `params` and `grads`: names, shapes (settings, held or flat), dtypes. */
  #inputs(params: TensorRecord, grads: TensorRecord): StepTensorInput<FloatArray>[] {
    const held = this.#engine.tensors;
    return pairTensors(params, grads).map(({ name, param, grad }) => {
      const given = this.#settings.shapes?.[name];
      const heldShape = held?.find((info) => info.name === name && info.size === param.length)?.shape;
      const shape = given ?? heldShape ?? [param.length];
      if (given !== undefined && given.reduce((a, b) => a * b, 1) !== param.length) {
        throw new TensorMismatchError(name, "length", `shape [${given}]`, param.length, "parameter");
      }
      return { name, shape, dtype: dtypeOf(param), param, grad };
    });
  }

  #prepare(params: TensorRecord, grads: TensorRecord): PreparedStep<FloatArray> {
    if (this.#busy) throw new InvalidCallError("update", "an updateAsync is still running; await it first");
    return this.#engine.prepare(this.#inputs(params, grads));
  }

  /**
   * Fixes the tensor set before any step from the parameters {@link update} will take
   * (names, lengths, dtypes; shapes from the `shapes` setting), with zero state and `t`
   * still 0: checkpoints then carry the tensors' shapes, and a checkpoint of other
   * tensors is refused at once.
   *
   * @throws TensorMismatchError a parameter that is no Float32Array or Float64Array, or
   * does not fit its `shapes` entry.
   * @throws InvalidCallError the tensor set is fixed already (by a step, a load or a
   * declaration), or an updateAsync is running.
   */
  declare(params: TensorRecord): void {
    if (this.#busy) throw new InvalidCallError("declare", "an updateAsync is still running; await it first");
    this.#engine.declare(this.#inputs(params, params));
  }

  /**
   * Arrays to train with that the step never copies: `params` holds the values of the
   * parameters given, `grads` is where the gradients go. With the SIMD kernel they live in
   * the kernels' WebAssembly memory, so an {@link update} given them copies nothing (the
   * arrays passed here are not updated from then on); otherwise `params` are the arrays
   * given and `grads` new zero arrays. Fixes the tensor set as {@link declare} does, or
   * checks the parameters against it when it is fixed (by a step, a load or a declaration).
   *
   * @example
   * const { params, grads } = opt.bind({ w: Float32Array.of(0.5, -1) });
   * grads.w.set(gradientAt(params.w)); // the model writes its gradients here
   * opt.update(params, grads); // params.w updated in place, nothing copied
   *
   * @throws TensorMismatchError a parameter that is no Float32Array or Float64Array, or
   * (tensor set fixed) a missing, extra or wrongly sized one.
   * @throws InvalidCallError an updateAsync is running.
   */
  bind<R extends TensorRecord>(params: R): { params: R; grads: R } {
    if (this.#busy) throw new InvalidCallError("bind", "an updateAsync is still running; await it first");
    const inputs = this.#inputs(params, params);
    let ordered: readonly StepTensorInput<FloatArray>[] = inputs;
    if (this.#engine.tensors === undefined) this.#engine.declare(inputs);
    // Checks names, sizes and dtypes against the tensors held, changing nothing; in held order.
    else ordered = this.#engine.prepare(inputs).inputs;
    const simd = this.#simdKernel(ordered.map((input) => input.dtype));
    const runner =
      simd &&
      this.#simdRunner(
        simd,
        ordered.map((input) => input.param.length),
      );
    if (runner === undefined) {
      const grads = inputs.map(({ name, param }) => [name, allocateLike(dtypeOf(param), param.length)]);
      return { params, grads: Object.fromEntries(grads) as R };
    }
    const views = ordered.map(({ name, param }, k) => {
      const own = runner.memory.views(k);
      (own.param as Float32Array).set(param);
      return { name, param: own.param as Float32Array, grad: own.grad as Float32Array };
    });
    return {
      params: Object.fromEntries(views.map(({ name, param }) => [name, param])) as R,
      grads: Object.fromEntries(views.map(({ name, grad }) => [name, grad])) as R,
    };
  }

  /**
   * One step: updates every array of `params` in place from `grads`. The first call fixes
   * the tensor set (names, lengths, dtypes); later calls must match it. All or nothing.
   *
   * @throws TensorMismatchError a missing, extra, wrongly sized or wrongly typed tensor.
   * @throws NonFiniteGradientError a NaN or ±Infinity in a gradient.
   * @throws NonFiniteResultError a step whose results would not be finite.
   * @throws InvalidOptionError a schedule that leaves its range at this step, or a group
   * that takes no tensor (first step).
   * @throws InvalidCallError an `allReduce` that returned a promise (use {@link updateAsync}).
   */
  update(params: TensorRecord, grads: TensorRecord): void {
    const prepared = this.#prepare(params, grads);
    const result = this.#compute(prepared);
    if (result instanceof Promise) {
      result.catch(() => undefined);
      throw new InvalidCallError(
        "update",
        "the allReduce returned a promise; call updateAsync, which waits for it",
      );
    }
    this.#engine.commit(prepared, result);
  }

  /**
   * {@link update} for an `allReduce` that returns a promise (sharded training in one
   * thread). The gradients are copied at the call; the parameters must not change until
   * the promise settles, and no other call may run meanwhile.
   */
  async updateAsync(params: TensorRecord, grads: TensorRecord): Promise<void> {
    if (this.#engine.allReduce === undefined) return this.update(params, grads);
    const copies = pairTensors(params, grads).map(({ name, grad }) => [name, grad.slice()] as const);
    const prepared = this.#prepare(params, Object.fromEntries(copies));
    this.#busy = true;
    try {
      this.#engine.commit(prepared, await this.#compute(prepared));
    } finally {
      this.#busy = false;
    }
  }

  /** The step by a fused kernel (which writes in place) or the generic one. */
  #compute(prepared: PreparedStep<FloatArray>): StepOutcome<FloatArray> | Promise<StepOutcome<FloatArray>> {
    const step = this.#fusedStep(prepared);
    if (step === undefined) return this.#engine.compute(prepared);
    const published = runFused(this.#engine, step);
    return published instanceof Promise ? published.then((p) => ({ published: p })) : { published };
  }

  /** The step of the SIMD kernels where they apply, else of the JavaScript fused loop, if any. */
  #fusedStep(prepared: PreparedStep<FloatArray>): FusedStep | undefined {
    const simd = this.#simdKernel(prepared.dtypes);
    const runner =
      simd &&
      this.#simdRunner(
        simd,
        prepared.tensors.map((info) => info.size),
      );
    return (runner ?? this.#fused())?.step(this.#engine, prepared);
  }

  /** The state as bytes in the core checkpoint format, loadable by every adapter. */
  saveCheckpoint(): Uint8Array {
    if (this.#busy)
      throw new InvalidCallError("saveCheckpoint", "an updateAsync is still running; await it first");
    return this.#engine.save();
  }

  /**
   * Replaces options, step count and state with those of a checkpoint, all or nothing.
   * Parameters are not part of a checkpoint. If the optimizer already holds tensors, the
   * checkpoint must hold the same names and lengths (its values are cast to their dtypes).
   *
   * @throws CheckpointError bytes that are damaged, of an unknown format version, of
   * another algorithm, with other tensors, or with any stored value out of range.
   */
  loadCheckpoint(bytes: Uint8Array): void {
    if (this.#busy)
      throw new InvalidCallError("loadCheckpoint", "an updateAsync is still running; await it first");
    this.#engine.load(bytes);
  }
}

/**
 * The A2S (AdaFusion) optimizer: Adam blended into SGD with momentum, both learning
 * rates shrunk by the gradient-difference norm. State takes each tensor's dtype.
 *
 * @example
 * const opt = new A2S({ lrAdam: 1e-3, lrSgd: 1e-2 });
 * opt.update(params, grads); // params updated in place
 */
export class A2S extends Optimizer {
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<A2SOptions>, settings?: OptimizerSettings) {
    super(a2s(options), settings);
  }
}

/** Adam (AdamW with `weightDecay`; defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-8). */
export class Adam extends Optimizer {
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<AdamOptions>, settings?: OptimizerSettings) {
    super(adam(options), settings);
  }
}

/** RMSProp without momentum (defaults: learningRate 0.001, decay 0.9, epsilon 1e-8). */
export class RMSProp extends Optimizer {
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<RMSPropOptions>, settings?: OptimizerSettings) {
    super(rmsprop(options), settings);
  }
}

/** SGD with momentum in the seed's form `buf = momentum·buf + g` (defaults: learningRate 0.01, momentum 0.9). */
export class SGDMomentum extends Optimizer {
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<SGDMomentumOptions>, settings?: OptimizerSettings) {
    super(sgdMomentum(options), settings);
  }
}
