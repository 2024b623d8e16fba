/**
 * The two ways this package keeps NaN and ±Infinity out of weights and state: a check
 * that reads one number back per step (`"throw"`), or a guard in the graph that discards
 * the step on the device (`"skip"`).
 */
import type { NonFiniteElement } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import type { Expr } from "./expr.js";
import type { TensorOps } from "./tensor-ops.js";

/**
 * What a step with a NaN or ±Infinity in a gradient, or with a result that would not be
 * finite (a square that overflows), does. Either way weights and state are left untouched.
 *
 * - `"throw"` (default): one read-back per step, of one number (see {@link findNonFinite});
 *   the step is refused with `NonFiniteGradientError` or `NonFiniteResultError`.
 * - `"skip"`: no read-back; the step is computed and then discarded on the device, and a
 *   device counter counts discarded steps.
 */
export type NonFiniteMode = "throw" | "skip";

interface Checked {
  readonly which: number;
  readonly tensor: tf.Tensor;
}

/**
 * The values of `values` that need a look on the device, evaluated, in order. Skipped:
 * repeats (the previous-gradient slot is the gradient itself), state carried over
 * unchanged (finite: every value was checked when it was committed or loaded) and values
 * known on the host, which are checked here as float32 holds them.
 */
function toCheck(ops: TensorOps, values: readonly Expr[]): { checked: Checked[]; host?: NonFiniteElement } {
  const seen = new Set<Expr>();
  const checked: Checked[] = [];
  for (const [which, value] of values.entries()) {
    if (seen.has(value) || value.origin === "state") continue;
    seen.add(value);
    const known = value.value;
    if (known === undefined) {
      checked.push({ which, tensor: ops.evaluate(value) });
    } else {
      const rounded = Math.fround(known);
      if (rounded - rounded !== 0) return { checked, host: { which, index: 0, value: rounded } };
    }
  }
  return { checked };
}

/** One scalar per shape: the tensors of that shape added up (one kernel) and summed. */
function sumsByShape(tensors: readonly tf.Tensor[], map: (t: tf.Tensor) => tf.Tensor): tf.Tensor[] {
  const groups = new Map<string, tf.Tensor[]>();
  for (const tensor of tensors) {
    const key = tensor.shape.join(",");
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [map(tensor)]);
    else group.push(map(tensor));
  }
  return [...groups.values()].map((group) =>
    tf.sum(group.length === 1 ? (group[0] as tf.Tensor) : tf.addN(group)),
  );
}

const total = (sums: readonly tf.Tensor[]): tf.Tensor =>
  sums.length === 1 ? (sums[0] as tf.Tensor) : tf.addN([...sums]);

/**
 * The first NaN or ±Infinity among `values`, for the engine's check of a step. The fast
 * path reads back one number: the sum of every checked element (same-shaped tensors added
 * first, one kernel each), which is finite only if every element is. Only when it is not
 * are the tensors' sums read, and the elements of those whose sum is not finite searched;
 * a sum that overflowed from finite elements is no error.
 */
export function findNonFinite(ops: TensorOps, values: readonly Expr[]): NonFiniteElement | undefined {
  const { checked, host } = toCheck(ops, values);
  if (host !== undefined) return host;
  if (checked.length === 0) return undefined;
  const sum = tf.tidy(() =>
    total(
      sumsByShape(
        checked.map((c) => c.tensor),
        (t) => t,
      ),
    ),
  );
  const fast = sum.dataSync()[0] as number;
  sum.dispose();
  if (fast - fast === 0) return undefined;
  const sums = tf.tidy(() => tf.stack(checked.map((c) => tf.sum(c.tensor))));
  const each = sums.dataSync();
  sums.dispose();
  for (const [k, { which, tensor }] of checked.entries()) {
    const s = each[k] as number;
    if (s - s === 0) continue;
    const elements = tensor.dataSync();
    for (let index = 0; index < elements.length; index++) {
      const value = elements[index] as number;
      if (value - value !== 0) return { which, index, value };
    }
  }
  return undefined;
}

/**
 * A boolean scalar, true when every element of `values` (skipping what {@link toCheck}
 * skips) is finite, computed on the device with no read-back: `x − x` is exactly 0 for a
 * finite `x` and NaN otherwise, so the sum of those differences is 0 or NaN, with no
 * false alarm from an overflowing sum.
 */
export function allFinite(ops: TensorOps, values: readonly Expr[]): tf.Tensor {
  const { checked, host } = toCheck(ops, values);
  if (host !== undefined) return tf.scalar(false, "bool");
  if (checked.length === 0) return tf.scalar(true, "bool");
  return tf.equal(
    total(
      sumsByShape(
        checked.map((c) => c.tensor),
        (t) => tf.sub(t, t),
      ),
    ),
    0,
  );
}
