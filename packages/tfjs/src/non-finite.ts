import { NonFiniteGradientError } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import type { VariableGradient } from "./gradients.js";

/**
 * What the optimizer does with a NaN or ±Infinity in a gradient. Either way weights and
 * slots are left untouched.
 *
 * - `"throw"`: check eagerly before the step, reading back one small reduction
 *   (a flag per variable), and throw {@link NonFiniteGradientError} naming the variable.
 * - `"skip"`: no read-back; the step is computed and then discarded in the graph
 *   (`tf.where` on an all-finite flag), and a device counter counts skipped steps.
 */
export type NonFiniteMode = "throw" | "skip";

/**
 * Eager check. The fast path is one `sum` per gradient: a finite sum proves every
 * element finite. A non-finite sum means a bad element or an overflowing (finite) sum;
 * only then is that gradient scanned element by element to tell which.
 *
 * @throws NonFiniteGradientError at the first non-finite element, naming the variable.
 */
export function throwIfNonFinite(gradients: readonly VariableGradient[]): void {
  const sums = tf.tidy(() => tf.stack(gradients.map(({ grad }) => tf.sum(grad))));
  const values = sums.dataSync();
  sums.dispose();
  gradients.forEach(({ name, grad }, i) => {
    if (Number.isFinite(values[i])) return;
    const elements = grad.dataSync();
    for (let j = 0; j < elements.length; j++) {
      const x = elements[j] as number;
      if (!Number.isFinite(x)) throw new NonFiniteGradientError(name, j, x);
    }
  });
}

/** The in-graph guard's view of one step's gradients (nothing read back). */
export interface FiniteGuard {
  /** A boolean scalar, true when every element of every gradient is finite. */
  ok: tf.Tensor;
  /**
   * Per gradient, `ok` as a boolean tensor of that gradient's shape, for `tf.where`:
   * made from the per-element masks the reduction needs anyway, since broadcasting a
   * scalar condition (what `tf.where` does otherwise, per call) is slow on wasm.
   */
  conditions: tf.Tensor[];
}

export function finiteGuard(gradients: readonly VariableGradient[]): FiniteGuard {
  const masks = gradients.map(({ grad }) => tf.isFinite(grad));
  const flags = masks.map((mask) => tf.all(mask));
  const ok = flags.length === 1 ? (flags[0] as tf.Tensor) : tf.all(tf.stack(flags));
  return { ok, conditions: masks.map((mask) => tf.logicalAnd(mask, ok)) };
}
