import {
  A2S_DEFAULTS,
  A2S_SLOT_NAMES,
  type A2SOptions,
  type A2SUpdateInput,
  a2sSchedule,
  a2sUpdate,
  type Checkpoint,
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  InvalidOptionError,
  resolveA2SOptions,
  type StepDiagnostics,
  TensorMismatchError,
} from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import { type NamedTensor, readGradients, type VariableGradient } from "./gradients.js";
import { finiteGuard, type NonFiniteMode, throwIfNonFinite } from "./non-finite.js";
import { readOptimizerWeights } from "./optimizer-weights.js";
import { type A2STfjsOptions, resolveTfjsOptions } from "./options.js";
import {
  bindSlots,
  checkSizes,
  disposeSlots,
  type Matching,
  matchGradients,
  type SlotName,
  slotsFrom,
  type TensorSlots,
  zeroSlots,
} from "./slot-state.js";
import { Expr, TensorOps } from "./tensor-ops.js";

/** Device scalars of the last step, read only when asked for. */
interface LastStep {
  t: number;
  w: number;
  curvature: tf.Tensor;
  lrScale: tf.Tensor;
}

/** Options of {@link A2SOptimizer.loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * How the saved tensors find their variables at the next step: by variable name
   * (default), or by position, for a rebuilt model whose variable names got new
   * suffixes (tfjs makes names unique per process).
   */
  match?: Matching;
}

/**
 * A2S (AdaFusion) as a TensorFlow.js optimizer: Adam blended into SGD with momentum,
 * both learning rates shrunk by the norm of the gradient change. Use it wherever a
 * `tf.train.*` optimizer goes: `model.compile({ optimizer })`, `optimizer.minimize(f)`,
 * or `applyGradients` in a custom loop.
 *
 * The step is `@a2s/core`'s `a2sUpdate` over tfjs ops, inside `tf.tidy`; the curvature
 * stays on the device. The variable set is fixed by the first step.
 */
export class A2SOptimizer extends tf.Optimizer {
  /** @nocollapse */
  static get className(): string {
    return "A2S";
  }

  #options: Readonly<A2SOptions>;
  readonly #nonFinite: NonFiniteMode;
  readonly #ops = new TensorOps();
  /** Slots per variable, in the order of the first step; undefined before it. */
  #held: TensorSlots[] | undefined;
  /** Names of the variables given at construction, which the first step must match. */
  readonly #varList: readonly string[] | undefined;
  /** How held state that was loaded, not yet stepped, is matched to variables. */
  #matching: Matching = "name";
  #last: LastStep | undefined;
  /** Steps discarded by the `"skip"` guard; made with the first guarded step. */
  #skipped: tf.Variable | undefined;

  /**
   * @param options hyperparameters over the seed's defaults, and `nonFinite`.
   * @param varList the variables to update. Optional: without it the first step fixes
   *   the set; with it, a first step that misses one of them is refused too.
   * @throws InvalidOptionError an unknown option or a value out of range.
   */
  constructor(options?: A2STfjsOptions, varList?: readonly tf.Variable[]) {
    super();
    const resolved = resolveTfjsOptions(options);
    if (
      varList !== undefined &&
      !(Array.isArray(varList) && varList.every((v) => v instanceof tf.Variable))
    ) {
      throw new InvalidOptionError("varList", varList, "an array of tf.Variable");
    }
    this.#varList = varList?.map((variable) => variable.name);
    this.#options = resolved.a2s;
    this.#nonFinite = resolved.nonFinite;
    this.iterations_ = 0;
  }

  /** The resolved hyperparameters (replaced by those of a loaded checkpoint). */
  get options(): Readonly<A2SOptions> {
    return this.#options;
  }

  /** The non-finite gradient policy. */
  get nonFinite(): NonFiniteMode {
    return this.#nonFinite;
  }

  /**
   * One A2S step. Takes a `NamedTensorMap` or `NamedTensor[]` of registered variables'
   * gradients, as `tf.train.adam()` does. All or nothing: every check runs before any
   * variable or slot changes.
   *
   * @throws TensorMismatchError an unregistered, missing or extra variable, or a gradient
   * whose shape or dtype does not fit.
   * @throws NonFiniteGradientError a NaN or ±Infinity (only with `nonFinite: "throw"`).
   */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const given = readGradients(variableGradients);
    const expected = this.#held?.map((state) => state.name) ?? this.#varList;
    const order =
      expected === undefined ? given.map((_, i) => i) : matchGradients(expected, this.#matching, given);
    const gradients = order.map((i) => given[i] as VariableGradient);
    if (this.#held !== undefined) checkSizes(this.#held, gradients);
    if (gradients.length === 0) {
      throw new TensorMismatchError("(all)", "missing", "at least one gradient", 0, "gradient");
    }
    const t = this.iterations + 1;
    // On the first step there is no curvature to prove the gradients finite (see below).
    if (this.#nonFinite === "throw" && t === 1) throwIfNonFinite(gradients);

    // Slots for this step; they replace the held ones only once the step has succeeded.
    const held =
      this.#held === undefined
        ? gradients.map(({ name, variable }) => zeroSlots(name, variable))
        : bindSlots(this.#held, gradients);
    // A state object may be new while its slot variables are the held ones (renamed).
    const notIn = (states: readonly TensorSlots[] | undefined) => (state: TensorSlots) =>
      !states?.some((other) => other.slots === state.slots);
    try {
      this.#step(gradients, held, t);
    } catch (error) {
      disposeSlots(held.filter(notIn(this.#held)));
      throw error;
    }
    disposeSlots(this.#held?.filter(notIn(held)));
    this.#held = held;
    this.#matching = "name";
    this.incrementIterations();
  }

  /** Computes step `t` and, once every check passed, assigns variables and slots. */
  #step(gradients: readonly VariableGradient[], held: readonly TensorSlots[], t: number): void {
    const schedule = a2sSchedule(t, this.#options);
    const guard = this.#nonFinite === "skip" ? this.#skipCounter() : undefined;

    const ops = this.#ops;
    tf.tidy(() => {
      const inputs: A2SUpdateInput<Expr>[] = gradients.map(({ variable, grad }, k) => {
        const { slots } = held[k] as TensorSlots;
        return {
          param: Expr.of(variable),
          grad: Expr.of(grad),
          slots: {
            m: Expr.of(slots.m),
            v: Expr.of(slots.v),
            buf: Expr.of(slots.buf),
            prev: t === 1 ? undefined : Expr.of(slots.prev),
          },
        };
      });
      const result = a2sUpdate(ops, this.#options, schedule, inputs);
      const curvature = ops.evaluate(result.curvature);
      // The eager check reads back one number: the curvature, computed anyway, is finite
      // only if every gradient is (prev always is). A non-finite one means a bad gradient
      // or an overflowing sum; throwIfNonFinite tells which. (Step 1 was checked above.)
      if (this.#nonFinite === "throw" && t > 1 && !Number.isFinite(curvature.dataSync()[0])) {
        throwIfNonFinite(gradients);
      }
      const finite = guard === undefined ? undefined : finiteGuard(gradients);
      result.tensors.forEach((out, k) => {
        const { variable } = gradients[k] as VariableGradient;
        const { slots } = held[k] as TensorSlots;
        const condition = finite?.conditions[k];
        const keep = (next: Expr, old: tf.Tensor) => {
          const value = ops.evaluate(next);
          return condition === undefined ? value : tf.where(condition, value, old);
        };
        for (const slot of A2S_SLOT_NAMES) slots[slot].assign(keep(out.slots[slot], slots[slot]));
        variable.assign(keep(out.param, variable));
      });
      if (guard !== undefined && finite !== undefined) {
        guard.assign(tf.add(guard, tf.cast(tf.logicalNot(finite.ok), "int32")));
      }
      this.#replaceLast({
        t,
        w: schedule.w,
        curvature: ops.keep(curvature),
        lrScale: ops.keep(ops.evaluate(result.lrScale)),
      });
    });
  }

  #skipCounter(): tf.Variable {
    this.#skipped ??= tf.variable(tf.scalar(0, "int32"), false);
    return this.#skipped;
  }

  #replaceLast(last: LastStep | undefined): void {
    if (this.#last !== undefined) {
      for (const tensor of [this.#last.curvature, this.#last.lrScale]) {
        // Cached constants (the first step's curvature 0, a scale of exactly 1) stay.
        if (!this.#ops.isCached(tensor)) tensor.dispose();
      }
    }
    this.#last = last;
  }

  /**
   * What the last step did, read from the device now (one small read-back per call, none
   * per step). `undefined` before the first step and after loading state.
   */
  async readDiagnostics(): Promise<StepDiagnostics | undefined> {
    const last = this.#last;
    if (last === undefined) return undefined;
    const [curvature, lrScale] = await Promise.all([last.curvature.data(), last.lrScale.data()]);
    const scale = lrScale[0] as number;
    return {
      t: last.t,
      w: last.w,
      curvature: curvature[0] as number,
      lrScale: scale,
      lrAdam: this.#options.lrAdam * scale,
      lrSgd: this.#options.lrSgd * scale,
    };
  }

  /** Steps the `"skip"` guard discarded since construction or the last load. */
  async readSkippedSteps(): Promise<number> {
    if (this.#skipped === undefined) return 0;
    return (await this.#skipped.data())[0] as number;
  }

  /** Frees every tensor this optimizer made: slots, cached scalars, diagnostics, counter. */
  override dispose(): void {
    disposeSlots(this.#held);
    this.#held = undefined;
    this.#replaceLast(undefined);
    this.#skipped?.dispose();
    this.#skipped = undefined;
    this.#ops.dispose();
  }

  /**
   * The state as tfjs-layers saves it with `includeOptimizer: true`: first `iter` (the step
   * count), then for each variable in the order of the first step its slots `m`, `v`,
   * `buf`, `prev`, named `<variable>/<slot>`.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const weights = [await this.saveIterations()];
    for (const { name, slots } of this.#held ?? []) {
      for (const slot of A2S_SLOT_NAMES) weights.push({ name: `${name}/${slot}`, tensor: slots[slot] });
    }
    return weights;
  }

  /**
   * Restores what {@link getWeights} gave (as `tf.loadLayersModel` does). The slots are
   * matched to variables by position at the next step, as tfjs's own optimizers do,
   * since a reloaded model's variables may carry other names. The tensors are copied.
   *
   * @throws CheckpointError weights that are not A2S's, all or nothing.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const { iterations, tensors } = await readOptimizerWeights(weightValues);
    const held = tensors.map(({ name, shape, slots }) => slotsFrom(name, shape, slots));
    this.#replaceState(held, iterations, "position");
  }

  /** The state in `@a2s/core`'s portable checkpoint format (loadable by `@a2s/typed`). */
  async saveCheckpoint(): Promise<Uint8Array> {
    const tensors: Checkpoint["tensors"] = {};
    for (const { name, slots } of this.#held ?? []) {
      const arrays = {} as Record<SlotName, Float32Array>;
      for (const slot of A2S_SLOT_NAMES) arrays[slot] = (await slots[slot].data()) as Float32Array;
      tensors[name] = { shape: [...slots.m.shape], slots: arrays };
    }
    return encodeCheckpoint({ algorithm: "A2S", options: { ...this.#options }, t: this.iterations, tensors });
  }

  /**
   * Replaces options, step count and state with a checkpoint's (from this package,
   * `@a2s/typed` or any adapter), all or nothing. Values are cast to float32; flat arrays
   * take their variable's shape. If the optimizer holds state, the checkpoint must hold the
   * same variable names and sizes.
   *
   * @throws CheckpointError damaged bytes, another format version or algorithm, other
   * tensors, or invalid options.
   */
  loadCheckpoint(bytes: Uint8Array, { match = "name" }: LoadCheckpointOptions = {}): void {
    if (match !== "name" && match !== "position")
      throw new InvalidOptionError("match", match, '"name" or "position"');
    const checkpoint = decodeCheckpoint(bytes, { algorithm: "A2S", slots: A2S_SLOT_NAMES });
    let options: Readonly<A2SOptions>;
    try {
      options = resolveA2SOptions(checkpoint.options as Partial<A2SOptions>);
    } catch (error) {
      if (error instanceof InvalidOptionError) throw new CheckpointError("header", `stored ${error.message}`);
      throw error;
    }
    const entries = Object.entries(checkpoint.tensors);
    const held = this.#held;
    const loaded = (held === undefined ? entries : pairWithHeld(held, entries, match)).map(
      ([name, saved], k) =>
        slotsFrom(
          name,
          held?.[k]?.slots.m.shape ?? saved.shape,
          saved.slots as Record<SlotName, Float32Array>,
        ),
    );
    this.#options = options;
    this.#replaceState(
      loaded.length === 0 ? undefined : loaded,
      checkpoint.t,
      held === undefined ? match : "name",
    );
  }

  #replaceState(held: TensorSlots[] | undefined, iterations: number, matching: Matching): void {
    disposeSlots(this.#held);
    this.#held = held;
    this.#matching = matching;
    this.iterations_ = iterations;
    this.#replaceLast(undefined);
    this.#skipped?.dispose();
    this.#skipped = undefined;
  }

  /** The resolved hyperparameters and the non-finite policy. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.#options, nonFinite: this.#nonFinite };
  }

  /**
   * Rebuilds the optimizer from {@link getConfig}'s output. Only the option names are
   * read: tfjs-layers adds its own keys (`customObjects`) to the config it passes.
   * @nocollapse
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const options: tf.serialization.ConfigDict = {};
    for (const name of [...Object.keys(A2S_DEFAULTS), "nonFinite"]) {
      if (config[name] !== undefined) options[name] = config[name];
    }
    return new cls(options);
  }
}

type SavedTensor = [string, Checkpoint["tensors"][string]];

/**
 * Pairs a checkpoint's tensors with those an optimizer already holds (by name or by
 * position), in held order and under the held names.
 *
 * @throws CheckpointError another number of tensors, an unknown name, another size.
 */
function pairWithHeld(
  held: readonly TensorSlots[],
  entries: readonly SavedTensor[],
  match: Matching,
): SavedTensor[] {
  const names = held.map((state) => state.name);
  const holds = `the optimizer holds ${names.join(", ")}`;
  if (entries.length !== held.length) {
    throw new CheckpointError("tensors", `it holds ${entries.length} tensors, ${holds}`);
  }
  const byName = new Map(entries);
  return held.map((state, k) => {
    const saved = match === "name" ? byName.get(state.name) : (entries[k] as SavedTensor)[1];
    if (saved === undefined)
      throw new CheckpointError("tensors", `tensor ${state.name} is missing; ${holds}`);
    const length = (saved.slots.m as Float32Array).length;
    if (length !== state.slots.m.size) {
      throw new CheckpointError(
        "tensors",
        `tensor ${state.name} has ${length} elements, ${holds} with ${state.slots.m.size}`,
      );
    }
    return [state.name, saved];
  });
}

tf.serialization.registerClass(A2SOptimizer);

/**
 * Makes an {@link A2SOptimizer}, in the style of `tf.train.adam(...)`.
 *
 * @example
 * model.compile({ optimizer: a2s({ lrAdam: 1e-3 }), loss: "categoricalCrossentropy" });
 * @throws InvalidOptionError an unknown option or a value out of range.
 */
export function a2s(options?: A2STfjsOptions, varList?: readonly tf.Variable[]): A2SOptimizer {
  return new A2SOptimizer(options, varList);
}
