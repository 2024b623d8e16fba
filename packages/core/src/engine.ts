/**
 * The optimizer engine: everything an optimizer is besides its math and its tensor type.
 * It fixes the tensor set (by the first step, a declaration or a checkpoint), checks
 * names, sizes and dtypes before anything changes, makes state lazily, counts steps,
 * runs the algorithm's transforms over a backend's {@link ArrayOps} (or lets a fused
 * kernel do it), commits all or nothing, routes the step's global sums through an
 * optional `allReduce`, keeps the diagnostics and reads and writes checkpoints.
 *
 * An adapter supplies an {@link EngineBackend} and the idiom of its stack.
 */
import { type Algorithm, algorithmFrom } from "./algorithms.js";
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
import type { StepDiagnostics } from "./diagnostics.js";
import {
  CheckpointError,
  InvalidCallError,
  InvalidOptionError,
  NonFiniteGradientError,
  NonFiniteResultError,
  TensorMismatchError,
} from "./errors.js";
import { allocateLike, dtypeOf, type FloatArray, type FloatDType } from "./host-arrays.js";
import type { ArrayOps } from "./ops.js";
import {
  assignGroups,
  type OptionSet,
  optionSetFromJSON,
  optionSetToJSON,
  satisfies,
} from "./option-values.js";
import { runStep, type StepRunResult } from "./step.js";
import type { TensorInfo, TransformState } from "./transform.js";

/**
 * Sums this optimizer's partial sums with those of the other shards and returns the
 * global ones (same length). May return a promise: then the step waits for it.
 */
export type AllReduce = (partials: Float64Array) => Float64Array | Promise<Float64Array>;

/** How an optimizer runs, beside its algorithm. */
export interface EngineSettings {
  /** Replaces the local sums of each step (curvature, clipping norm) with global ones: see the README. */
  readonly allReduce?: AllReduce;
}

/** Where a value is not finite: which of the values checked, at which element, and what it is. */
export interface NonFiniteElement {
  readonly which: number;
  readonly index: number;
  readonly value: number;
}

/** What an adapter gives the engine: its array operations and how its arrays live. */
export interface EngineBackend<T> {
  readonly ops: ArrayOps<T>;
  /** New zero-filled state for a tensor (or a scalar: shape `[]`). */
  zeros(shape: readonly number[], dtype: FloatDType): T;
  /** New state holding a copy of `values` (in their dtype), in `shape`. */
  fromHost(values: FloatArray, shape: readonly number[]): T;
  /** A host copy of `value`, in its dtype. */
  toHost(value: T): FloatArray;
  /** Copies `value` into `target` (a parameter or state), which keeps its identity. */
  assign(target: T, value: T): void;
  /**
   * The first non-finite element among `values`, or undefined. The generic step calls it
   * once, with the gradients followed by every result. Backends whose kernels check on
   * their own, or that guard in the graph, leave it out.
   */
  findNonFinite?(values: readonly T[]): NonFiniteElement | undefined;
  /** Keeps a value the engine holds across steps (published diagnostics). */
  retain?(value: T): T;
  /** Frees state or a retained value the engine no longer holds. */
  release?(value: T): void;
}

/** One tensor of a step as the adapter hands it in. */
export interface StepTensorInput<T> {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
  readonly param: T;
  readonly grad: T;
}

/** A checked step, ready to compute: inputs in the engine's tensor order and their state. */
export interface PreparedStep<T> {
  /** The step count of this step, from 1. */
  readonly t: number;
  readonly tensors: readonly TensorInfo[];
  readonly dtypes: readonly FloatDType[];
  readonly inputs: readonly StepTensorInput<T>[];
  readonly state: TransformState<T>;
  /** True when `state` was made for this step (first step, adopted dtypes): kept only if it commits. */
  readonly fresh: boolean;
}

/** A computed step: new values to commit (a fused kernel that wrote in place gives only `published`). */
export interface StepOutcome<T> {
  readonly params?: readonly T[];
  readonly slots?: readonly Readonly<Record<string, T>>[];
  readonly scalars?: Readonly<Record<string, T>>;
  readonly published: ReadonlyMap<string, T>;
  /** Published values known exactly on the host (reported instead of the backend's rounding). */
  readonly exact?: ReadonlyMap<string, number>;
}

/** Options of {@link Engine.load}. */
export interface LoadOptions {
  /**
   * How saved tensors find the optimizer's: by name (default), or by position, for a
   * rebuilt model whose tensor names changed (tfjs makes variable names unique per
   * process). With position, a fresh optimizer takes the names of its first step.
   */
  readonly match?: "name" | "position";
}

type MaybePromise<T> = T | Promise<T>;
const isPromise = <T>(value: MaybePromise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown })?.then === "function";

/** Thrown inside a step to ask for the global sums of a reduction not known yet. */
class PendingReduction<T> {
  constructor(readonly local: readonly T[]) {}
}

/** The last step's published values, as the engine holds them until the next step. */
interface PublishedStep<T> {
  readonly t: number;
  readonly values: Map<string, T>;
  readonly exact: ReadonlyMap<string, number>;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export class Engine<T> {
  readonly backend: EngineBackend<T>;
  readonly allReduce: AllReduce | undefined;
  #algorithm: Algorithm;
  #t = 0;
  #tensors: TensorInfo[] | undefined;
  #dtypes: FloatDType[] = [];
  #state: TransformState<T> | undefined;
  /** False while the held state came from a checkpoint and no step has run on it. */
  #bound = false;
  #matching: "name" | "position" = "name";
  #published: PublishedStep<T> | undefined;
  #diagnostics: StepDiagnostics | undefined;
  #released = false;

  constructor(algorithm: Algorithm, backend: EngineBackend<T>, settings: EngineSettings = {}) {
    if (typeof algorithm?.transform?.update !== "function") {
      throw new InvalidOptionError("algorithm", algorithm, "an algorithm (e.g. a2s(options))");
    }
    if (settings.allReduce !== undefined && typeof settings.allReduce !== "function") {
      throw new InvalidOptionError("allReduce", settings.allReduce, "a function");
    }
    this.#algorithm = algorithm;
    this.backend = backend;
    this.allReduce = settings.allReduce;
  }

  get algorithm(): Algorithm {
    return this.#algorithm;
  }
  /** Steps taken so far. */
  get t(): number {
    return this.#t;
  }
  /** The tensors, once fixed; undefined before. */
  get tensors(): readonly TensorInfo[] | undefined {
    return this.#tensors;
  }
  /** Each tensor's dtype, in tensor order. */
  get dtypes(): readonly FloatDType[] {
    return this.#dtypes;
  }
  /** The held state (slots per tensor, scalars), undefined before the tensor set is fixed. */
  get state(): TransformState<T> | undefined {
    return this.#state;
  }

  #checkUsable(operation: string): void {
    if (this.#released) throw new InvalidCallError(operation, "the optimizer was disposed");
  }

  /**
   * Fixes the tensor set before any step (zero state, `t` stays 0), so that checkpoints
   * carry the tensors' shapes and a checkpoint of other tensors is refused at once. A
   * parameter group that takes none of them is refused at the first update, as without a
   * declaration.
   */
  declare(tensors: readonly { name: string; shape: readonly number[]; dtype: FloatDType }[]): void {
    this.#checkUsable("declare");
    if (this.#tensors !== undefined) throw new InvalidCallError("declare", "the tensors are fixed already");
    const prepared = this.#fresh(tensors, false);
    this.#install(prepared.tensors, prepared.dtypes, prepared.state);
    this.#bound = true;
  }

  /**
   * Checks one step's tensors against the tensor set (names, sizes, dtypes) and pairs
   * them with their state, made now when there is none. Changes nothing: state made
   * here is kept only when the step commits.
   *
   * @throws TensorMismatchError a missing, extra or repeated tensor, another size or dtype.
   * @throws InvalidOptionError a parameter group that takes no tensor (first step).
   * @throws CheckpointError loaded state that the tensors' dtype cannot hold.
   */
  prepare(inputs: readonly StepTensorInput<T>[]): PreparedStep<T> {
    this.#checkUsable("update");
    if (!Array.isArray(inputs) || inputs.length === 0) {
      throw new TensorMismatchError("(all)", "missing", "at least one tensor to optimize", 0);
    }
    const seen = new Set<string>();
    for (const input of inputs) {
      if (seen.has(input.name))
        throw new TensorMismatchError(input.name, "unexpected", "each name once", input.name);
      seen.add(input.name);
    }
    const t = this.#t + 1;
    const held = this.#tensors;
    if (held === undefined) return { ...this.#fresh(inputs), t, inputs };
    const ordered = this.#order(held, inputs);
    // Declared or loaded before any update: the first update still refuses a group that takes nothing.
    if (this.#t === 0) {
      assignGroups(
        this.#algorithm.optionSet,
        ordered.map((input) => input.name),
      );
    }
    let adopt = false;
    ordered.forEach((input, i) => {
      const info = held[i] as TensorInfo;
      const size = sizeOf(input.shape);
      if (size !== info.size) throw new TensorMismatchError(info.name, "length", info.size, size);
      const dtype = this.#dtypes[i] as FloatDType;
      if (input.dtype !== dtype || input.shape.join() !== info.shape.join() || input.name !== info.name) {
        if (this.#bound && input.dtype !== dtype) {
          throw new TensorMismatchError(info.name, "dtype", dtype, input.dtype);
        }
        adopt ||= !this.#bound;
      }
    });
    const state = this.#state as TransformState<T>;
    if (!adopt) return { t, tensors: held, dtypes: this.#dtypes, inputs: ordered, state, fresh: false };
    // State loaded from a checkpoint takes the names, shapes and dtypes of the first step.
    const tensors = held.map((info, i) => ({
      ...info,
      name: (ordered[i] as StepTensorInput<T>).name,
      shape: [...(ordered[i] as StepTensorInput<T>).shape],
    }));
    const dtypes = ordered.map((input) => input.dtype);
    const slots = state.slots.map((own, i) =>
      Object.fromEntries(
        Object.entries(own).map(([slot, value]) => [
          slot,
          this.backend.fromHost(
            castChecked(
              this.backend.toHost(value),
              dtypes[i] as FloatDType,
              `${(tensors[i] as TensorInfo).name}.${slot}`,
            ),
            (tensors[i] as TensorInfo).shape,
          ),
        ]),
      ),
    );
    return { t, tensors, dtypes, inputs: ordered, state: { slots, scalars: state.scalars }, fresh: true };
  }

  /** Inputs in held order, matched by name or (loaded, unbound state) by position. */
  #order(held: readonly TensorInfo[], inputs: readonly StepTensorInput<T>[]): StepTensorInput<T>[] {
    if (this.#matching === "position" && !this.#bound) {
      if (inputs.length !== held.length) {
        const kind = inputs.length < held.length ? "missing" : "unexpected";
        const culprit = inputs[held.length]?.name ?? held[inputs.length]?.name ?? "(all)";
        throw new TensorMismatchError(
          culprit,
          kind,
          `the ${held.length} tensors of the loaded state`,
          inputs.length,
        );
      }
      return [...inputs];
    }
    const byName = new Map(inputs.map((input) => [input.name, input]));
    const names = held.map((info) => info.name);
    for (const input of inputs) {
      if (!names.includes(input.name))
        throw new TensorMismatchError(input.name, "unexpected", names, input.name);
    }
    return held.map((info) => {
      const input = byName.get(info.name);
      if (input === undefined) {
        throw new TensorMismatchError(info.name, "missing", `the optimizer holds ${info.name}`, undefined);
      }
      return input;
    });
  }

  #fresh(
    inputs: readonly { name: string; shape: readonly number[]; dtype: FloatDType }[],
    refuseUnusedGroups = true,
  ) {
    const names = inputs.map((input) => input.name);
    const groups = assignGroups(this.#algorithm.optionSet, names, refuseUnusedGroups);
    const tensors = inputs.map((input, i) => ({
      name: input.name,
      shape: [...input.shape],
      size: sizeOf(input.shape),
      group: groups[i] as number,
    }));
    const dtypes = inputs.map((input) => input.dtype);
    const slots = tensors.map((info, i) =>
      Object.fromEntries(
        this.#algorithm.slots.map(([slot]) => [
          slot,
          this.backend.zeros(info.shape, dtypes[i] as FloatDType),
        ]),
      ),
    );
    const scalarDtype = dtypes[0] as FloatDType;
    const scalars = Object.fromEntries(
      this.#algorithm.scalars.map(([name, spec]) => {
        const values = allocateLike(scalarDtype, 1);
        values[0] = spec.initial;
        return [name, this.backend.fromHost(values, [])];
      }),
    );
    return { tensors, dtypes, state: { slots, scalars }, fresh: true };
  }

  /**
   * The generic step: runs the algorithm's transforms over the backend's ops (asking
   * `allReduce` for the global sums when given) and checks that every gradient and every
   * result is finite, in one `findNonFinite` call (the gradients in a call of their own
   * before the step when an `allReduce` is given). Changes nothing; returns what
   * {@link commit} installs.
   *
   * @throws NonFiniteGradientError a NaN or ±Infinity in a gradient.
   * @throws NonFiniteResultError a result that would not be finite.
   * @throws InvalidOptionError a schedule that leaves its range at this step.
   */
  compute(prepared: PreparedStep<T>): MaybePromise<StepOutcome<T>> {
    this.#checkUsable("update");
    const { backend } = this;
    const grads = prepared.inputs.map((input) => input.grad);
    // With an allReduce the gradients' sums leave this optimizer, so they are checked
    // first; otherwise with the results, in one findNonFinite call (one read-back for a
    // device backend).
    const gradientsFirst = this.allReduce !== undefined;
    if (gradientsFirst) this.#checkFinite(prepared, grads, undefined);
    const known: number[][] = [];
    const attempt = (): StepRunResult<T> => {
      let reduction = 0;
      return runStep({
        ops: backend.ops,
        algorithm: this.#algorithm,
        tensors: prepared.tensors,
        t: prepared.t,
        params: prepared.inputs.map((input) => input.param),
        grads,
        state: prepared.state,
        like: grads[0] as T,
        reduce: (partials) => {
          const local = partials.map((list) => list.reduce((a, b) => backend.ops.add(a, b)));
          const index = reduction++;
          if (this.allReduce === undefined) return local;
          const totals = known[index];
          if (totals === undefined) throw new PendingReduction(local);
          return totals.map((total) => backend.ops.scalar(total, grads[0] as T));
        },
      });
    };
    const run = (): MaybePromise<StepRunResult<T>> => {
      for (;;) {
        try {
          return attempt();
        } catch (error) {
          if (!(error instanceof PendingReduction)) throw error;
          const local = Float64Array.from(error.local as T[], (value) => backend.toHost(value)[0] as number);
          const totals = this.reduceOnHost(local);
          if (isPromise(totals)) {
            return totals.then((value) => {
              known.push([...value]);
              return run();
            });
          }
          known.push([...totals]);
        }
      }
    };
    const finish = (result: StepRunResult<T>): StepOutcome<T> => {
      this.#checkFinite(prepared, gradientsFirst ? [] : grads, result);
      return result;
    };
    const result = run();
    return isPromise(result) ? result.then(finish) : finish(result);
  }

  /**
   * The global sums for this optimizer's `partials` (itself when there is no
   * `allReduce`), checked: as many values, all finite. For fused kernels that reduce on
   * the host.
   */
  reduceOnHost(partials: Float64Array): MaybePromise<Float64Array> {
    if (this.allReduce === undefined) return partials;
    const check = (totals: unknown): Float64Array => {
      const values =
        ArrayBuffer.isView(totals) || Array.isArray(totals)
          ? Float64Array.from(totals as ArrayLike<number>)
          : undefined;
      if (
        values === undefined ||
        values.length !== partials.length ||
        values.some((x) => !Number.isFinite(x))
      ) {
        throw new InvalidCallError(
          "allReduce",
          `must return ${partials.length} finite sums; got ${String(totals)}`,
        );
      }
      return values;
    };
    const totals = this.allReduce(Float64Array.from(partials));
    return isPromise(totals) ? totals.then(check) : check(totals);
  }

  /** Throws for the first non-finite value among `grads` (in tensor order), then `result`'s. */
  #checkFinite(prepared: PreparedStep<T>, grads: readonly T[], result: StepRunResult<T> | undefined): void {
    const find = this.backend.findNonFinite;
    if (find === undefined) return;
    const labels: [string, string][] = [];
    const values: T[] = [...grads];
    prepared.tensors.forEach((info, i) => {
      if (result === undefined) return;
      labels.push([info.name, "param"]);
      values.push(result.params[i] as T);
      for (const [slot, value] of Object.entries(result.slots[i] as Record<string, T>)) {
        labels.push([info.name, slot]);
        values.push(value);
      }
    });
    for (const [name, value] of Object.entries(result?.scalars ?? {})) {
      labels.push(["(optimizer)", name]);
      values.push(value);
    }
    const bad = find.call(this.backend, values);
    if (bad === undefined) return;
    if (bad.which < grads.length) {
      const name = (prepared.tensors[bad.which] as TensorInfo).name;
      throw new NonFiniteGradientError(name, bad.index, bad.value);
    }
    const [tensor, slot] = labels[bad.which - grads.length] as [string, string];
    throw new NonFiniteResultError(tensor, slot, bad.index, bad.value);
  }

  /**
   * Installs a computed step: writes the new parameters and state (or, for a fused
   * kernel that wrote in place, only takes the state it wrote into), counts the step
   * and keeps its diagnostics. Cannot fail.
   */
  commit(prepared: PreparedStep<T>, outcome: StepOutcome<T>): void {
    const { backend } = this;
    // State before parameters: a slot may take this step's gradient, and a caller may
    // pass one array as both parameter and gradient.
    if (outcome.scalars) {
      for (const [name, target] of Object.entries(prepared.state.scalars)) {
        backend.assign(target, outcome.scalars[name] as T);
      }
    }
    if (outcome.slots) {
      prepared.state.slots.forEach((own, i) => {
        for (const [slot, target] of Object.entries(own))
          backend.assign(target, outcome.slots?.[i]?.[slot] as T);
      });
    }
    if (outcome.params) {
      prepared.inputs.forEach((input, i) => {
        backend.assign(input.param, outcome.params?.[i] as T);
      });
    }
    if (prepared.fresh) this.#install(prepared.tensors, prepared.dtypes, prepared.state);
    this.#bound = true;
    this.#t = prepared.t;
    const values = new Map(
      [...outcome.published].map(([k, v]) => [k, backend.retain ? backend.retain(v) : v]),
    );
    this.#replacePublished({ t: prepared.t, values, exact: outcome.exact ?? new Map() });
  }

  #install(tensors: readonly TensorInfo[], dtypes: readonly FloatDType[], state: TransformState<T>): void {
    const old = this.#state;
    if (old !== undefined && old !== state) {
      const kept = new Set<T>([
        ...state.slots.flatMap((own) => Object.values(own)),
        ...Object.values(state.scalars),
      ]);
      for (const value of [
        ...old.slots.flatMap((own) => Object.values(own)),
        ...Object.values(old.scalars),
      ]) {
        if (!kept.has(value)) this.backend.release?.(value);
      }
    }
    this.#tensors = [...tensors];
    this.#dtypes = [...dtypes];
    this.#state = state;
  }

  #replacePublished(published: PublishedStep<T> | undefined): void {
    for (const value of this.#published?.values.values() ?? []) this.backend.release?.(value);
    this.#published = published;
    this.#diagnostics = undefined;
  }

  /** What the last step did (its published values, read back once); undefined before a step and after a load. */
  diagnostics(): StepDiagnostics | undefined {
    if (this.#published === undefined) return undefined;
    if (this.#diagnostics === undefined) {
      const values: Record<string, number> = { t: this.#published.t };
      const { exact } = this.#published;
      for (const [name, value] of this.#published.values) {
        values[name] = exact.get(name) ?? (this.backend.toHost(value)[0] as number);
      }
      this.#diagnostics = Object.freeze(values) as StepDiagnostics;
    }
    return this.#diagnostics;
  }

  /** The state as bytes in the current checkpoint format, loadable by every adapter. */
  save(): Uint8Array {
    this.#checkUsable("saveCheckpoint");
    const algorithm = this.#algorithm;
    const state = this.#state;
    const scalars: Record<string, number> = {};
    for (const [name, spec] of algorithm.scalars) {
      const value = state?.scalars[name];
      scalars[name] = value === undefined ? spec.initial : (this.backend.toHost(value)[0] as number);
    }
    const checkpoint: Checkpoint = {
      algorithm: algorithm.name,
      options: optionSetToJSON(algorithm.optionSet),
      t: this.#t,
      scalars,
      tensors: (this.#tensors ?? []).map((info, i) => ({
        name: info.name,
        shape: info.shape,
        slots: Object.fromEntries(
          algorithm.slots.map(([slot]) => [slot, this.backend.toHost(state?.slots[i]?.[slot] as T)]),
        ),
      })),
    };
    return encodeCheckpoint(checkpoint);
  }

  /**
   * Replaces options, step count and state with a checkpoint's, all or nothing. If the
   * optimizer holds tensors already, the checkpoint must hold the same ones (by name or
   * position) with the same sizes; its values are cast to their dtypes.
   *
   * @throws CheckpointError bytes that are damaged, of an unknown format, of another
   * algorithm, with other tensors or slots, or with any field out of range.
   */
  load(bytes: Uint8Array, options: LoadOptions = {}): void {
    this.#checkUsable("loadCheckpoint");
    const match = options.match ?? "name";
    if (match !== "name" && match !== "position") {
      throw new InvalidOptionError("match", match, '"name" or "position"');
    }
    const checkpoint = decodeCheckpoint(bytes);
    const definition = this.#algorithm.definition;
    if (checkpoint.algorithm !== definition.name) {
      throw new CheckpointError(
        "algorithm",
        `saved by ${JSON.stringify(checkpoint.algorithm)}, cannot load into ${definition.name}`,
      );
    }
    const algorithm = algorithmFrom(definition, this.#storedOptions(checkpoint));
    const slotNames = algorithm.slots.map(([slot]) => slot);
    for (const tensor of checkpoint.tensors) {
      const stored = Object.keys(tensor.slots);
      if (stored.length !== slotNames.length || !slotNames.every((slot) => stored.includes(slot))) {
        throw new CheckpointError(
          "tensors",
          `tensor ${tensor.name} has slots [${stored}], ${definition.name} keeps [${slotNames}]`,
        );
      }
      for (const [slot, rule] of algorithm.slots) {
        if (rule !== "nonNegative") continue;
        const values = tensor.slots[slot] as FloatArray;
        const bad = values.findIndex((x) => x < 0);
        if (bad >= 0)
          throw new CheckpointError("data", `${tensor.name}.${slot}[${bad}] is ${values[bad]}, must be >= 0`);
      }
    }
    const storedScalars = Object.keys(checkpoint.scalars);
    for (const name of storedScalars) {
      if (!algorithm.scalars.some(([own]) => own === name)) {
        throw new CheckpointError("header", `scalar ${name} is not one ${definition.name} keeps`);
      }
    }
    for (const [name, spec] of algorithm.scalars) {
      const value = checkpoint.scalars[name];
      if (value === undefined && checkpoint.version !== 1)
        throw new CheckpointError("header", `scalar ${name} is missing`);
      if (value !== undefined && spec.rule !== "real" && !satisfies(value, spec.rule)) {
        throw new CheckpointError("header", `scalar ${name} is ${value}, out of range`);
      }
    }
    if (checkpoint.t > 0 && checkpoint.tensors.length === 0) {
      throw new CheckpointError("tensors", `${checkpoint.t} steps taken but no tensor state stored`);
    }
    const held = this.#tensors;
    let order = checkpoint.tensors;
    if (held !== undefined && checkpoint.tensors.length > 0) order = pairWithHeld(held, checkpoint, match);
    const groups = order.length > 0 ? assignGroupsForLoad(algorithm, held, order, checkpoint.t > 0) : [];
    // Everything checked: upload, then swap.
    const upload = (values: FloatArray, dtype: FloatDType, label: string, shape: readonly number[]) =>
      this.backend.fromHost(castChecked(values, dtype, label), shape);
    let tensors: TensorInfo[] | undefined;
    let dtypes: FloatDType[] = [];
    let state: TransformState<T> | undefined;
    if (order.length > 0) {
      tensors = order.map((saved, i) => {
        const info = held?.[i];
        return {
          name: info?.name ?? saved.name,
          shape: info?.shape ?? [...saved.shape],
          size: sizeOf(saved.shape),
          group: groups[i] as number,
        };
      });
      dtypes = order.map((saved, i) =>
        this.#bound && held
          ? (this.#dtypes[i] as FloatDType)
          : dtypeOf(Object.values(saved.slots)[0] as FloatArray),
      );
      const scalarDtype = dtypes[0] as FloatDType;
      state = {
        slots: order.map((saved, i) =>
          Object.fromEntries(
            slotNames.map((slot) => [
              slot,
              upload(
                saved.slots[slot] as FloatArray,
                dtypes[i] as FloatDType,
                `${(tensors as TensorInfo[])[i]?.name}.${slot}`,
                (tensors as TensorInfo[])[i]?.shape ?? saved.shape,
              ),
            ]),
          ),
        ),
        scalars: Object.fromEntries(
          algorithm.scalars.map(([name, spec]) => [
            name,
            upload(Float64Array.of(checkpoint.scalars[name] ?? spec.initial), scalarDtype, name, []),
          ]),
        ),
      };
    }
    this.#algorithm = algorithm;
    if (tensors === undefined || state === undefined) {
      this.#releaseState();
      this.#tensors = undefined;
      this.#dtypes = [];
      this.#bound = false;
    } else {
      this.#install(tensors, dtypes, state);
      this.#bound = held !== undefined && this.#bound;
    }
    this.#matching = held === undefined ? match : "name";
    this.#t = checkpoint.t;
    this.#replacePublished(undefined);
  }

  #storedOptions(checkpoint: Checkpoint): OptionSet {
    const definition = this.#algorithm.definition;
    const legacy = checkpoint.version === 1 ? definition.legacyOptions : undefined;
    if (checkpoint.version === 1 && legacy === undefined) {
      throw new CheckpointError("version", `${definition.name} did not exist in format 1`);
    }
    const mayBeAbsent = legacy
      ? Object.keys(definition.options).filter((name) => !legacy.includes(name))
      : [];
    try {
      return optionSetFromJSON(
        definition.options,
        checkpoint.options,
        this.#algorithm.optionSet,
        mayBeAbsent,
      );
    } catch (error) {
      if (error instanceof InvalidOptionError) throw new CheckpointError("header", `stored ${error.message}`);
      throw error;
    }
  }

  #releaseState(): void {
    const old = this.#state;
    if (old === undefined) return;
    for (const value of [...old.slots.flatMap((own) => Object.values(own)), ...Object.values(old.scalars)]) {
      this.backend.release?.(value);
    }
    this.#state = undefined;
  }

  /** Frees every state and diagnostic value; later calls throw {@link InvalidCallError}. */
  dispose(): void {
    if (this.#released) return;
    this.#releaseState();
    this.#replacePublished(undefined);
    this.#released = true;
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.#released;
  }
}

/** The checkpoint's tensors in held order (by name or position), checked against the held ones. */
function pairWithHeld(
  held: readonly TensorInfo[],
  checkpoint: Checkpoint,
  match: "name" | "position",
): Checkpoint["tensors"] {
  const names = held.map((info) => info.name);
  const holds = `the optimizer holds ${names.join(", ")}`;
  const saved = checkpoint.tensors;
  if (match === "name") {
    for (const tensor of saved) {
      if (!names.includes(tensor.name))
        throw new CheckpointError("tensors", `tensor ${tensor.name} is not one ${holds}`);
    }
  }
  if (saved.length !== held.length) {
    throw new CheckpointError("tensors", `it holds ${saved.length} tensors, ${holds}`);
  }
  return held.map((info, k) => {
    const tensor = match === "name" ? saved.find((s) => s.name === info.name) : saved[k];
    if (tensor === undefined)
      throw new CheckpointError("tensors", `tensor ${info.name} is missing; ${holds}`);
    const size = sizeOf(tensor.shape);
    if (size !== info.size) {
      throw new CheckpointError(
        "tensors",
        `tensor ${info.name} has ${size} elements, the optimizer's has ${info.size}`,
      );
    }
    return tensor;
  });
}

function assignGroupsForLoad(
  algorithm: Algorithm,
  held: readonly TensorInfo[] | undefined,
  order: Checkpoint["tensors"],
  updated: boolean,
): number[] {
  const names = order.map((tensor, i) => held?.[i]?.name ?? tensor.name);
  try {
    // Before any update (a declared tensor set saved at t = 0) the first update checks them.
    return assignGroups(algorithm.optionSet, names, updated);
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new CheckpointError("header", `stored ${error.message}`);
    throw error;
  }
}

/** `values` in `dtype`, refusing finite values that the dtype cannot hold. */
function castChecked(values: FloatArray, dtype: FloatDType, label: string): FloatArray {
  if (dtypeOf(values) === dtype) return values;
  const out = allocateLike(dtype, values.length);
  out.set(values);
  for (let i = 0; i < out.length; i++) {
    const x = out[i] as number;
    if (x - x !== 0) {
      throw new CheckpointError("data", `${label}[${i}] is ${values[i]}, which ${dtype} cannot hold`);
    }
  }
  return out;
}
