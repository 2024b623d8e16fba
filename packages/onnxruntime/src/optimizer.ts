/**
 * The optimizers of this package: any algorithm of `@a2s/core` recorded once into an ONNX
 * graph and run by onnxruntime. `update(params, grads)` takes the same records of typed
 * arrays as `@a2s/typed` and updates the parameters in place. The engine of `@a2s/core`
 * does the bookkeeping; this file adds the typed-array idiom and the standalone graph.
 */
import type {
  A2SOptions,
  AdamOptions,
  Algorithm,
  AlgorithmFactory,
  FloatArray,
  FloatDType,
  PreparedStep,
  RMSPropOptions,
  SGDMomentumOptions,
  StepDiagnostics,
  TensorInfo,
  TensorRecord,
} from "@a2s/core";
import {
  a2s,
  adam,
  builtInAlgorithmOf,
  dtypeOf,
  InvalidOptionError,
  pairTensors,
  rmsprop,
  sgdMomentum,
  TensorMismatchError,
} from "@a2s/core";
import { CopyPool } from "./copy-pool.js";
import { GraphBuilder } from "./graph-builder.js";
import { GraphStepper, type ProgramCache, type StepperSettings } from "./graph-stepper.js";
import { type HostValue, ownedValue } from "./host-values.js";
import type { Pins } from "./pins.js";
import type { OnnxRuntime } from "./runtime.js";
import { STEP_NAMES } from "./step-names.js";
import { StepProgram } from "./step-program.js";
import { recordStep, unitLayout } from "./step-recording.js";

/** How an optimizer runs (not what it computes). */
export interface OptimizerSettings extends StepperSettings {
  /**
   * Shape of each tensor, as recorded in checkpoints (default: one axis of the array's
   * length, or the shape of a loaded checkpoint's tensor of that name and size).
   */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
}

const steppers = new WeakMap<Optimizer, GraphStepper>();

/** The machinery behind an optimizer, for a step appended to a model (append-step.ts). */
export function stepperOf(optimizer: Optimizer): GraphStepper | undefined {
  return steppers.get(optimizer);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function checkSettings(settings: unknown): OptimizerSettings {
  if (settings === undefined) return {};
  if (!isRecord(settings)) throw new InvalidOptionError("settings", settings, "an object");
  const { shapes } = settings as OptimizerSettings;
  if (shapes !== undefined && !isRecord(shapes)) {
    throw new InvalidOptionError("shapes", shapes, "a record of shapes");
  }
  for (const [name, shape] of Object.entries(shapes ?? {})) {
    const valid = Array.isArray(shape) && shape.every((size) => Number.isSafeInteger(size) && size >= 0);
    if (!valid) throw new InvalidOptionError(`shapes.${name}`, shape, "an array of integers >= 0");
  }
  return settings as OptimizerSettings;
}

/**
 * The optimizer's own graph: each unit's parameter and gradient in, the step's outputs
 * out. Every value is flat: the arithmetic is elementwise, and flat values of several
 * tensors lie one after the other in one buffer.
 */
function standaloneProgram(
  stepper: GraphStepper,
  prepared: PreparedStep<HostValue>,
  runtime: OnnxRuntime,
): StepProgram {
  const { engine } = stepper;
  const dtype = prepared.dtypes[0] as FloatDType;
  const layout = unitLayout(
    engine.algorithm,
    prepared.tensors,
    prepared.tensors.map((info) => [info.size]),
  );
  const feeds = layout.names.map((name) => ({ param: STEP_NAMES.param(name), grad: STEP_NAMES.grad(name) }));
  const record = (pins: Pins) => {
    const graph = new GraphBuilder(`${engine.algorithm.name}_step`);
    graph.nodePrefix = STEP_NAMES.node("");
    const input = (name: string, u: number) => graph.input(name, dtype, layout.shapes[u] as number[]);
    return recordStep({
      graph,
      algorithm: engine.algorithm,
      tensors: prepared.tensors,
      dtype,
      layout,
      t: prepared.t,
      params: feeds.map((feed, u) => input(feed.param, u)),
      grads: feeds.map((feed, u) => input(feed.grad, u)),
      sharded: engine.allReduce !== undefined,
      pins,
      fedGradients: true,
    });
  };
  return new StepProgram(record, prepared.tensors, runtime, stepper.sessionOptions, feeds);
}

/**
 * An optimizer for any algorithm: `new Optimizer(a2s({ lrAdam: 1e-3 }))`. {@link A2S},
 * {@link Adam}, {@link RMSProp} and {@link SGDMomentum} are this class with their
 * algorithm built in. Every call runs after the calls made before it (they are queued).
 */
export class Optimizer {
  readonly #stepper: GraphStepper;
  readonly #settings: OptimizerSettings;
  readonly #program: ProgramCache;
  readonly #copies = new CopyPool();

  /** @throws InvalidOptionError an algorithm that is none, or bad settings. */
  constructor(algorithm: Algorithm, settings?: OptimizerSettings) {
    this.#settings = checkSettings(settings);
    this.#stepper = new GraphStepper(algorithm, this.#settings);
    this.#program = this.#stepper.cache();
    steppers.set(this, this.#stepper);
  }

  /**
   * A new optimizer of the built-in algorithm a checkpoint was saved by, holding its
   * options and state.
   *
   * @throws CheckpointError bytes that are no checkpoint of a built-in algorithm, or damaged.
   */
  static fromCheckpoint(bytes: Uint8Array, settings?: OptimizerSettings): Optimizer {
    const optimizer = new Optimizer(builtInAlgorithmOf(bytes), settings);
    optimizer.#stepper.engine.load(bytes);
    return optimizer;
  }

  /** The algorithm's name, as checkpoints record it. */
  get algorithm(): string {
    return this.#stepper.engine.algorithm.name;
  }
  /** The resolved options (replaced by those of a loaded checkpoint). */
  get options(): Readonly<Record<string, unknown>> {
    return this.#stepper.engine.algorithm.options;
  }
  /** Steps taken so far (by finished calls). */
  get t(): number {
    return this.#stepper.engine.t;
  }
  /** What the last step did; undefined before the first step and after a load. */
  get diagnostics(): StepDiagnostics | undefined {
    return this.#stepper.engine.diagnostics();
  }

  /**
   * One step: updates every array of `params` in place from `grads`. The gradients are
   * copied at the call, so the caller may refill them at once; the parameters are read
   * and written when the step runs, after every call made before it. The first step
   * fixes the tensor set (names, lengths, one dtype for all); later steps must match it.
   * All or nothing.
   *
   * @throws TensorMismatchError a missing, extra, wrongly sized or wrongly typed tensor.
   * @throws NonFiniteGradientError a NaN or ±Infinity in a gradient.
   * @throws NonFiniteResultError a step whose results would not be finite.
   * @throws InvalidOptionError a schedule that leaves its range at this step, or a group
   * that takes no tensor (first step).
   */
  update(params: TensorRecord, grads: TensorRecord): Promise<void> {
    let pairs: ReturnType<typeof pairTensors>;
    let copies: FloatArray[];
    try {
      pairs = pairTensors(params, grads);
      copies = pairs.length === 0 ? [] : this.#copies.copy(pairs.map(({ grad }) => grad));
    } catch (error) {
      return Promise.reject(error);
    }
    // The step may keep a copy as state (A2S's previous gradient) and hand back the array
    // it replaces: the pool takes back whatever the gradients' values hold when it is done.
    let gradValues: HostValue[] = [];
    const step = this.#stepper.enqueue(async () => {
      const held = this.#stepper.engine.tensors;
      const inputs = pairs.map(({ name, param }, i) => {
        const shape = this.#shapeOf(name, param, held);
        return {
          name,
          shape,
          dtype: dtypeOf(param),
          param: { array: param, shape, owned: false } as HostValue,
          grad: ownedValue(copies[i] as FloatArray, shape),
        };
      });
      gradValues = inputs.map((input) => input.grad);
      await this.#stepper.step(
        inputs,
        (prepared, runtime) =>
          this.#program.get(prepared, () => standaloneProgram(this.#stepper, prepared, runtime)),
        () => ({}),
      );
    });
    return step.finally(() =>
      this.#copies.give(gradValues.length > 0 ? gradValues.map((g) => g.array) : copies),
    );
  }

  #shapeOf(name: string, param: FloatArray, held: readonly TensorInfo[] | undefined): readonly number[] {
    const given = this.#settings.shapes?.[name];
    if (given !== undefined) {
      if (given.reduce((a, b) => a * b, 1) !== param.length) {
        throw new TensorMismatchError(name, "length", `shape [${given}]`, param.length, "parameter");
      }
      return given;
    }
    return held?.find((info) => info.name === name && info.size === param.length)?.shape ?? [param.length];
  }

  /** The state as bytes in the core checkpoint format, after every call made before it. */
  saveCheckpoint(): Promise<Uint8Array> {
    return this.#stepper.enqueue(() => this.#stepper.engine.save());
  }

  /**
   * Replaces options, step count and state with those of a checkpoint, all or nothing,
   * after every call made before it (the bytes are copied at the call). Parameters are
   * not part of a checkpoint. If the optimizer already holds tensors, the checkpoint
   * must hold the same names and lengths (its values are cast to their dtype).
   *
   * @throws CheckpointError bytes that are damaged, of an unknown format version, of
   * another algorithm, with other tensors, or with any stored value out of range.
   */
  loadCheckpoint(bytes: Uint8Array): Promise<void> {
    const copy = Uint8Array.from(bytes);
    return this.#stepper.enqueue(() => this.#stepper.engine.load(copy));
  }

  /** Releases the sessions and the state, after every call made before it; later calls throw InvalidCallError. */
  dispose(): Promise<void> {
    return this.#stepper.enqueue(() => this.#stepper.dispose());
  }
}

/** The class of one algorithm: `new X(options?, settings?)`, named as checkpoints name it. */
export type OptimizerClass<O> = (new (
  options?: O,
  settings?: OptimizerSettings,
) => Optimizer) &
  Pick<typeof Optimizer, "fromCheckpoint">;

function classOf<O>(name: string, factory: AlgorithmFactory<O>): OptimizerClass<O> {
  const named = {
    [name]: class extends Optimizer {
      constructor(options?: O, settings?: OptimizerSettings) {
        super(factory(options), settings);
      }
    },
  };
  return named[name] as OptimizerClass<O>;
}

/**
 * The A2S (AdaFusion) optimizer: Adam blended into SGD with momentum, both learning
 * rates shrunk by the gradient-difference norm. The constructor throws
 * InvalidOptionError for an unknown option or a value out of range.
 *
 * @example
 * const opt = new A2S({ lrAdam: 1e-3, lrSgd: 1e-2 });
 * await opt.update(params, grads); // params updated in place
 */
export const A2S: OptimizerClass<Partial<A2SOptions>> = classOf("A2S", a2s);
export type A2S = Optimizer;

/** Adam (AdamW with `weightDecay`; defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-8). */
export const Adam: OptimizerClass<Partial<AdamOptions>> = classOf("Adam", adam);
export type Adam = Optimizer;

/** RMSProp without momentum (defaults: learningRate 0.001, decay 0.9, epsilon 1e-8). */
export const RMSProp: OptimizerClass<Partial<RMSPropOptions>> = classOf("RMSProp", rmsprop);
export type RMSProp = Optimizer;

/** SGD with momentum in the seed's form `buf = momentum·buf + g` (defaults: learningRate 0.01, momentum 0.9). */
export const SGDMomentum: OptimizerClass<Partial<SGDMomentumOptions>> = classOf("SGDMomentum", sgdMomentum);
export type SGDMomentum = Optimizer;
