/**
 * Transforms (optax's `GradientTransformation`): an optimizer is a composition of small
 * pure functions, each turning the incoming updates (at first the gradients) into new
 * ones, over explicit state. A transform declares its per-tensor slots and its
 * per-optimizer scalars; the engine allocates, checks, saves and commits them. Its
 * update is written against {@link ArrayOps}, so every backend (typed arrays, tfjs
 * tensors, ONNX graphs) runs the same code.
 */
import { InvalidCallError } from "./errors.js";
import type { ArrayOps } from "./ops.js";
import type { OptionRule, OptionValue } from "./option-values.js";

/** One tensor of the optimized set. */
export interface TensorInfo {
  readonly name: string;
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** 0 for the top-level options, `g + 1` for `groups[g]`. */
  readonly group: number;
}

/** What a slot's values must be, checked when a checkpoint is loaded. */
export type SlotRule = "real" | "nonNegative";

/** A per-optimizer scalar: its value before the first step and what it may hold. */
export interface ScalarSpec {
  readonly initial: number;
  readonly rule: OptionRule | "real";
}

/** Everything a transform may read and produce during one step. */
export interface StepIO<T> {
  readonly ops: ArrayOps<T>;
  readonly tensors: readonly TensorInfo[];
  /** The parameters before this step, one per tensor. */
  readonly params: readonly T[];
  /** Option `name` for tensor `tensor` (its group's value), or the top-level value. */
  option(name: string, tensor?: number): OptionValue | undefined;
  /**
   * A value computed on the host from the step count `t` (from 1), for the group of
   * `tensor` (top level when undefined). `value` must be a pure function of `t`: a graph
   * backend records the step once and calls it again at every later step.
   */
  host(name: string, tensor: number | undefined, value: (t: number) => number): T;
  /** A constant scalar. */
  constant(value: number): T;
  /**
   * Global sums: `partials[k]` holds one scalar per tensor; the result holds, per k, the
   * sum over every tensor of this optimizer, and over every shard when the optimizer
   * was made with an `allReduce`.
   */
  reduce(partials: readonly (readonly T[])[]): T[];
  /** A scalar published earlier in this step (e.g. `"lrScale"`, `"w"`), if any. */
  value(name: string): T | undefined;
  /** Publishes a scalar for later transforms and for the step's diagnostics. */
  publish(name: string, value: T): void;
  /** The same IO with host value names prefixed, for a child transform. */
  scope(prefix: string): StepIO<T>;
}

/** The optimizer state a transform reads: every slot per tensor and every scalar, by name. */
export interface TransformState<T> {
  readonly slots: readonly Readonly<Record<string, T>>[];
  readonly scalars: Readonly<Record<string, T>>;
}

/** A transform's output: the new updates and new values of its own slots and scalars. */
export interface TransformResult<T> {
  readonly updates: readonly T[];
  readonly slots?: readonly Readonly<Record<string, T>>[];
  readonly scalars?: Readonly<Record<string, T>>;
}

export interface Transform {
  /** Shown in errors and documentation. */
  readonly name: string;
  /** Per-tensor state, zero before the first step. Names are unique within an algorithm. */
  readonly slots?: Readonly<Record<string, SlotRule>>;
  /** Per-optimizer state. Names are unique within an algorithm. */
  readonly scalars?: Readonly<Record<string, ScalarSpec>>;
  /** Transforms this one runs (combinators); their slots and scalars count as its own. */
  readonly children?: readonly Transform[];
  /** One step. Pure: mutates nothing, returns new values. */
  update<T>(io: StepIO<T>, updates: readonly T[], state: TransformState<T>): TransformResult<T>;
}

/** Every slot of `transform` and its children, in order of appearance. */
export function collectSlots(transform: Transform): [string, SlotRule][] {
  return [
    ...Object.entries(transform.slots ?? {}),
    ...(transform.children ?? []).flatMap((child) => collectSlots(child)),
  ];
}

/** Every scalar of `transform` and its children, in order of appearance. */
export function collectScalars(transform: Transform): [string, ScalarSpec][] {
  return [
    ...Object.entries(transform.scalars ?? {}),
    ...(transform.children ?? []).flatMap((child) => collectScalars(child)),
  ];
}

function checkUnique(what: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new InvalidCallError("chain", `two transforms declare the ${what} ${name}`);
    seen.add(name);
  }
}

function mergeInto<T>(
  slots: Record<string, T>[],
  scalars: Record<string, T>,
  result: TransformResult<T>,
): void {
  result.slots?.forEach((own, i) => {
    Object.assign(slots[i] as Record<string, T>, own);
  });
  if (result.scalars) Object.assign(scalars, result.scalars);
}

/** Runs `transforms` one after the other, each on the previous one's updates. */
export function chain(...transforms: Transform[]): Transform {
  const self: Transform = {
    name: `chain(${transforms.map((t) => t.name).join(", ")})`,
    children: transforms,
    update(io, updates, state) {
      let current = updates;
      const slots = io.tensors.map(() => ({}));
      const scalars = {};
      transforms.forEach((transform, k) => {
        const result = transform.update(io.scope(`${k}.`), current, state);
        current = result.updates;
        mergeInto(slots, scalars, result);
      });
      return { updates: current, slots, scalars };
    },
  };
  checkUnique(
    "slot",
    collectSlots(self).map(([name]) => name),
  );
  checkUnique(
    "scalar",
    collectScalars(self).map(([name]) => name),
  );
  return self;
}

/**
 * `w·first + (1 − w)·second`, both run on the same incoming updates (so both advance
 * their state on every step, whatever `w` is). `w` and `oneMinusW` are the step values a
 * transform before it published (`blendWeight`, `autoSwitch`).
 */
export function blend(first: Transform, second: Transform): Transform {
  return {
    name: `blend(${first.name}, ${second.name})`,
    children: [first, second],
    update(io, updates, state) {
      const { ops } = io;
      const w = io.value("w");
      if (w === undefined) {
        throw new InvalidCallError(
          "blend",
          "no blend weight w was published before it (use blendWeight first)",
        );
      }
      const oneMinusW = io.value("oneMinusW") ?? ops.sub(io.constant(1), w);
      const a = first.update(io.scope("0."), updates, state);
      const b = second.update(io.scope("1."), updates, state);
      const slots = io.tensors.map(() => ({}));
      const scalars = {};
      mergeInto(slots, scalars, a);
      mergeInto(slots, scalars, b);
      const blended = a.updates.map((x, i) =>
        ops.add(ops.mul(w, x), ops.mul(oneMinusW, b.updates[i] as typeof x)),
      );
      return { updates: blended, slots, scalars };
    },
  };
}
