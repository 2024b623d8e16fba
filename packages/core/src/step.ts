/**
 * One step of an algorithm over any {@link ArrayOps} backend: builds the transforms'
 * view of the step ({@link StepIO}), runs the algorithm's transform and returns every
 * new value without changing anything. Eager backends call it every step; a graph
 * backend calls it once to record the step.
 */
import type { Algorithm } from "./algorithms.js";
import { type ArrayOps, stepScalar } from "./ops.js";
import { optionFor } from "./option-values.js";
import type { StepIO, TensorInfo, TransformState } from "./transform.js";

export interface StepRunInput<T> {
  readonly ops: ArrayOps<T>;
  readonly algorithm: Algorithm;
  readonly tensors: readonly TensorInfo[];
  /** The step count, from 1. */
  readonly t: number;
  readonly params: readonly T[];
  readonly grads: readonly T[];
  readonly state: TransformState<T>;
  /** A tensor whose element type the step's scalars take. */
  readonly like: T;
  /** The global sums of the step (see {@link StepIO.reduce}). */
  reduce(partials: readonly (readonly T[])[]): T[];
  /**
   * Receives every host value the step asks for, under the name it is given to
   * `stepScalar`, with the function that computes it from `t`: a graph backend calls
   * them again at every later step to feed its inputs.
   */
  onHostValue?(name: string, value: (t: number) => number): void;
}

export interface StepRunResult<T> {
  /** The new parameters, one per tensor. */
  readonly params: T[];
  /** Every slot per tensor, new values. */
  readonly slots: Record<string, T>[];
  /** Every scalar, new values (unchanged ones carried over). */
  readonly scalars: Record<string, T>;
  /** The step values the transforms published (diagnostics). */
  readonly published: ReadonlyMap<string, T>;
  /**
   * The exact float64 value of each published value that came from the host (the blend
   * weight, a scheduled rate), which a float32 backend would otherwise round.
   */
  readonly exact: ReadonlyMap<string, number>;
}

export function runStep<T>(input: StepRunInput<T>): StepRunResult<T> {
  const { ops, algorithm, tensors, t, like } = input;
  const published = new Map<string, T>();
  const exact = new Map<string, number>();
  const hostValues = new Map<string, T>();
  const hostNumbers = new Map<T, number>();
  const makeIO = (prefix: string): StepIO<T> => ({
    ops,
    tensors,
    params: input.params,
    option: (name, tensor) => optionFor(algorithm.optionSet, name, groupOf(tensors, tensor)),
    host(name, tensor, value) {
      const key = `${prefix}${name}#${groupOf(tensors, tensor)}`;
      let scalar = hostValues.get(key);
      if (scalar === undefined) {
        const number = value(t);
        scalar = stepScalar(ops, key, number, like);
        hostValues.set(key, scalar);
        hostNumbers.set(scalar, number);
        input.onHostValue?.(key, value);
      }
      return scalar;
    },
    constant: (value) => ops.scalar(value, like),
    reduce: (partials) => input.reduce(partials),
    value: (name) => published.get(name),
    publish(name, value) {
      published.set(name, value);
      const number = hostNumbers.get(value);
      if (number === undefined) exact.delete(name);
      else exact.set(name, number);
    },
    scope: (more) => makeIO(prefix + more),
  });
  const result = algorithm.transform.update(makeIO(""), input.grads, input.state);
  const slots = tensors.map((_, i) => ({ ...input.state.slots[i], ...result.slots?.[i] }));
  const scalars = { ...input.state.scalars, ...result.scalars };
  const params = input.params.map((param, i) => ops.sub(param, result.updates[i] as T));
  return { params, slots, scalars, published, exact };
}

function groupOf(tensors: readonly TensorInfo[], tensor: number | undefined): number {
  return tensor === undefined ? 0 : (tensors[tensor]?.group ?? 0);
}
