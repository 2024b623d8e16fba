/**
 * What every optimizer of this package shares: the tensor set fixed by the first update,
 * validation before any change, lazily allocated state in each tensor's dtype, the step
 * count, and checkpoints in the core format. Subclasses supply only the step itself.
 */
import {
  allocateLike,
  type Checkpoint,
  CheckpointError,
  checkPair,
  checkTensorNames,
  decodeCheckpoint,
  dtypeOf,
  encodeCheckpoint,
  type FloatArray,
  type FloatDType,
  InvalidOptionError,
  TensorMismatchError,
} from "@a2s/core";

/** `"fused"`: one hand-written loop per tensor. `"generic"`: core's update over {@link typedArrayOps}. */
export type Kernel = "fused" | "generic";

/** How an optimizer computes its step; both kernels give the same answers (see the README). */
export interface KernelSettings {
  /** Defaults to `"fused"`. */
  kernel?: Kernel;
}

/** The user's parameters or gradients: one flat typed array per tensor name. */
export type TensorRecord = Record<string, Float32Array | Float64Array>;

/** One tensor of an update: the user's arrays and the state slots that go with them. */
export interface StepTensor {
  readonly name: string;
  param: FloatArray;
  grad: FloatArray;
  readonly slots: Readonly<Record<string, FloatArray>>;
}

/** State kept per tensor. */
interface TensorState {
  readonly name: string;
  readonly shape: readonly number[];
  readonly length: number;
  readonly dtype: FloatDType;
  readonly slots: Readonly<Record<string, FloatArray>>;
}

/** What distinguishes one algorithm: its checkpoint name, its slots, its option resolver. */
export interface AlgorithmSpec<O> {
  readonly algorithm: string;
  readonly slots: readonly string[];
  resolve(options?: Partial<O>): Readonly<O>;
}

function resolveKernel(settings: KernelSettings | undefined): Kernel {
  const kernel = settings?.kernel ?? "fused";
  if (kernel !== "fused" && kernel !== "generic") {
    throw new InvalidOptionError("kernel", kernel, '"fused" or "generic"');
  }
  return kernel;
}

function castTo(dtype: FloatDType, array: FloatArray): FloatArray {
  if (dtypeOf(array) === dtype) return array;
  const out = allocateLike(dtype, array.length);
  out.set(array);
  return out;
}

/** State of one tensor: every slot zero-filled, or cast from `from` where it has the slot. */
function stateOf(
  name: string,
  shape: readonly number[],
  length: number,
  dtype: FloatDType,
  slotNames: readonly string[],
  from?: Readonly<Record<string, FloatArray>>,
): TensorState {
  const slots: Record<string, FloatArray> = {};
  for (const slot of slotNames) {
    const source = from?.[slot];
    slots[slot] = source ? castTo(dtype, source) : allocateLike(dtype, length);
  }
  return { name, shape, length, dtype, slots };
}

/** Step records for `states`; their `param` and `grad` are filled in by each update. */
function recordsOf(states: readonly TensorState[]): StepTensor[] {
  return states.map(({ name, slots }) => {
    const placeholder = Object.values(slots)[0] as FloatArray;
    return { name, param: placeholder, grad: placeholder, slots };
  });
}

/**
 * Base of {@link A2S} and the baselines. An update is all or nothing: names, lengths,
 * dtypes and finiteness are checked before any parameter or state element changes.
 */
export abstract class HostOptimizer<O extends { [K in keyof O]: number }> {
  /** Which kernel computes the step. */
  readonly kernel: Kernel;
  readonly #spec: AlgorithmSpec<O>;
  #options: Readonly<O>;
  #t = 0;
  /** `undefined` until the first update or a checkpoint fixes the tensor set. */
  #tensors: TensorState[] | undefined;
  /** Reused per step so that a step allocates nothing once the state exists. */
  #records: StepTensor[] = [];
  /** False until an update has run: a loaded state still adopts the dtypes of the first update. */
  #dtypesFixed = false;

  protected constructor(
    spec: AlgorithmSpec<O>,
    options: Partial<O> | undefined,
    settings: KernelSettings | undefined,
  ) {
    this.#spec = spec;
    this.#options = spec.resolve(options);
    this.kernel = resolveKernel(settings);
  }

  /** The resolved hyperparameters (replaced by those of a loaded checkpoint). */
  get options(): Readonly<O> {
    return this.#options;
  }

  /** Updates taken so far. */
  get t(): number {
    return this.#t;
  }

  /**
   * One step: updates every array of `params` in place from `grads`. The first call fixes
   * the tensor set (names, lengths, dtypes); later calls must match it.
   *
   * @throws TensorMismatchError a missing, extra, wrongly sized or wrongly typed tensor.
   * @throws NonFiniteGradientError a NaN or ±Infinity in a gradient.
   */
  update(params: TensorRecord, grads: TensorRecord): void {
    const { records, pending } = this.#pair(params, grads);
    const t = this.#t + 1;
    this.step(records, t);
    if (pending !== undefined) {
      this.#tensors = pending;
      this.#records = records;
    }
    this.#dtypesFixed = true;
    this.#t = t;
  }

  /**
   * Computes one step over `tensors` (step count `t`, from 1). Must either throw before
   * changing any array, or update every parameter and slot.
   */
  protected abstract step(tensors: readonly StepTensor[], t: number): void;

  /** Called after a checkpoint replaced the state. */
  protected stateReplaced(): void {}

  /**
   * Checks `params` and `grads` against the tensor set and pairs them with their state.
   * New state (first update, or loaded state changing dtype) comes back as `pending`, to
   * be kept only if the step succeeds: a refused first update leaves the optimizer fresh.
   */
  #pair(params: TensorRecord, grads: TensorRecord): { records: StepTensor[]; pending?: TensorState[] } {
    const known = this.#tensors;
    const slotNames = this.#spec.slots;
    if (known === undefined) {
      const names = typeof params === "object" && params !== null ? Object.keys(params) : [];
      checkTensorNames(names, params, "parameter");
      if (names.length === 0) {
        throw new TensorMismatchError("(all)", "missing", "at least one tensor to optimize", 0, "parameter");
      }
      checkTensorNames(names, grads, "gradient");
      for (const name of names) checkPair(name, params[name] as FloatArray, grads[name] as FloatArray);
      const pending = names.map((name) => {
        const param = params[name] as FloatArray;
        return stateOf(name, [param.length], param.length, dtypeOf(param), slotNames);
      });
      return { records: this.#fill(recordsOf(pending), params, grads), pending };
    }
    const names = known.map((state) => state.name);
    checkTensorNames(names, params, "parameter");
    checkTensorNames(names, grads, "gradient");
    let adopt = false;
    for (const state of known) {
      const param = params[state.name] as FloatArray;
      if (param.length !== state.length) {
        throw new TensorMismatchError(state.name, "length", state.length, param.length, "parameter");
      }
      if (dtypeOf(param) !== state.dtype) {
        if (this.#dtypesFixed) {
          throw new TensorMismatchError(state.name, "dtype", state.dtype, dtypeOf(param), "parameter");
        }
        adopt = true;
      }
      checkPair(state.name, param, grads[state.name] as FloatArray);
    }
    if (!adopt) return { records: this.#fill(this.#records, params, grads) };
    // State loaded from a checkpoint of another dtype takes the dtype of the parameters.
    const pending = known.map((state) => {
      const dtype = dtypeOf(params[state.name] as FloatArray);
      return stateOf(state.name, state.shape, state.length, dtype, slotNames, state.slots);
    });
    return { records: this.#fill(recordsOf(pending), params, grads), pending };
  }

  #fill(records: StepTensor[], params: TensorRecord, grads: TensorRecord): StepTensor[] {
    for (const record of records) {
      record.param = params[record.name] as FloatArray;
      record.grad = grads[record.name] as FloatArray;
    }
    return records;
  }

  /** A new optimizer holding the options and state of a checkpoint. */
  static fromCheckpoint<T extends { loadCheckpoint(bytes: Uint8Array): void }>(
    this: new (
      options?: undefined,
      settings?: KernelSettings,
    ) => T,
    bytes: Uint8Array,
    settings?: KernelSettings,
  ): T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the caller named (A2S, Adam, ...).
    const optimizer = new this(undefined, settings);
    optimizer.loadCheckpoint(bytes);
    return optimizer;
  }

  /** The state as bytes in the core checkpoint format (see `@a2s/core`'s `encodeCheckpoint`). */
  saveCheckpoint(): Uint8Array {
    const tensors: Checkpoint["tensors"] = {};
    for (const state of this.#tensors ?? []) {
      tensors[state.name] = { shape: [...state.shape], slots: state.slots };
    }
    return encodeCheckpoint({
      algorithm: this.#spec.algorithm,
      options: { ...this.#options },
      t: this.#t,
      tensors,
    });
  }

  /**
   * Replaces options, step count and state with those of a checkpoint, all or nothing.
   * Parameters are not part of a checkpoint. If the optimizer already holds tensors, the
   * checkpoint must hold the same names and lengths (its values are cast to their dtypes).
   *
   * @throws CheckpointError bytes that are damaged, of another format version or
   * algorithm, with other tensors, or with invalid options.
   */
  loadCheckpoint(bytes: Uint8Array): void {
    const spec = this.#spec;
    const checkpoint = decodeCheckpoint(bytes, { algorithm: spec.algorithm, slots: spec.slots });
    const options = this.#checkpointOptions(checkpoint.options);
    const entries = Object.entries(checkpoint.tensors);
    if (checkpoint.t > 0 && entries.length === 0) {
      throw new CheckpointError("tensors", `${checkpoint.t} steps taken but no tensor state stored`);
    }
    let tensors: TensorState[] | undefined;
    const known = this.#tensors;
    if (entries.length === 0) {
      tensors = undefined;
    } else if (known === undefined) {
      tensors = entries.map(([name, saved]) => {
        const first = saved.slots[spec.slots[0] as string] as FloatArray;
        return stateOf(name, saved.shape, first.length, dtypeOf(first), spec.slots, saved.slots);
      });
    } else {
      for (const [name] of entries) {
        if (!known.some((state) => state.name === name)) {
          throw new CheckpointError(
            "tensors",
            `tensor ${name} is not one this optimizer holds (it holds ${known.map((s) => s.name).join(", ")})`,
          );
        }
      }
      tensors = known.map((state) => {
        const saved = checkpoint.tensors[state.name];
        if (saved === undefined) {
          throw new CheckpointError("tensors", `tensor ${state.name} is missing; the optimizer holds it`);
        }
        const length = (saved.slots[spec.slots[0] as string] as FloatArray).length;
        if (length !== state.length) {
          throw new CheckpointError(
            "tensors",
            `tensor ${state.name} has ${length} elements, the optimizer's has ${state.length}`,
          );
        }
        const dtype = this.#dtypesFixed
          ? state.dtype
          : dtypeOf(saved.slots[spec.slots[0] as string] as FloatArray);
        return stateOf(state.name, state.shape, state.length, dtype, spec.slots, saved.slots);
      });
    }
    this.#options = options;
    this.#t = checkpoint.t;
    this.#tensors = tensors;
    this.#dtypesFixed = tensors !== undefined && this.#dtypesFixed;
    this.#records = recordsOf(tensors ?? []);
    this.stateReplaced();
  }

  #checkpointOptions(saved: Record<string, number>): Readonly<O> {
    try {
      return this.#spec.resolve(saved as Partial<O>);
    } catch (error) {
      if (error instanceof InvalidOptionError) {
        throw new CheckpointError("header", `stored ${error.message}`);
      }
      throw error;
    }
  }
}
