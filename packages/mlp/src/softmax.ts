/** Softmax cross-entropy on rows of logits, stable for any logit size (log-sum-exp). */
import type { FloatArray } from "./matmul.js";

/** `log(sum_j exp(z_j))` of `z[offset .. offset+width)`, shifted by the row maximum so exp never overflows. */
export function logSumExp(z: FloatArray, offset: number, width: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < width; j++) max = Math.max(max, z[offset + j] as number);
  let sum = 0;
  for (let j = 0; j < width; j++) sum += Math.exp((z[offset + j] as number) - max);
  return max + Math.log(sum);
}

/** Sum over `rows` of `-log softmax(z_row)[label]`. */
export function crossEntropySum(
  z: FloatArray,
  labels: ArrayLike<number>,
  rows: number,
  width: number,
): number {
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const offset = i * width;
    total += logSumExp(z, offset, width) - (z[offset + (labels[i] as number)] as number);
  }
  return total;
}

/**
 * Gradient of the mean cross-entropy with respect to the logits, written into `out`:
 * `(softmax(z) - onehot(label)) / rows`.
 */
export function crossEntropyGradient(
  z: FloatArray,
  labels: ArrayLike<number>,
  rows: number,
  width: number,
  out: FloatArray,
): void {
  const scale = 1 / rows;
  for (let i = 0; i < rows; i++) {
    const offset = i * width;
    const lse = logSumExp(z, offset, width);
    for (let j = 0; j < width; j++) out[offset + j] = Math.exp((z[offset + j] as number) - lse) * scale;
    const hot = offset + (labels[i] as number);
    out[hot] = (out[hot] as number) - scale;
  }
}

/** Index of the largest of `z[offset .. offset+width)` (the first, on ties). */
export function argmax(z: FloatArray, offset: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if ((z[offset + j] as number) > (z[offset + best] as number)) best = j;
  return best;
}
