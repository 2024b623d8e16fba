/**
 * {@link ArrayOps} over host typed arrays: the generic path, where core's update runs
 * unchanged. Every result takes the dtype of its operands, so a Float32Array step rounds
 * after each operation exactly as float32 code would.
 */
import { type ArrayOps, allocateLike, dtypeOf, type FloatArray } from "@a2s/core";

type Binary = (x: number, y: number) => number;

/**
 * Applies `f` elementwise. A one-element operand is broadcast over the other one; the
 * result has the length and dtype of the longer operand (of `a` when equal).
 */
function elementwise(a: FloatArray, b: FloatArray, f: Binary): FloatArray {
  if (a.length === b.length) {
    const out = allocateLike(dtypeOf(a), a.length);
    for (let i = 0; i < a.length; i++) out[i] = f(a[i] as number, b[i] as number);
    return out;
  }
  if (b.length === 1) {
    const y = b[0] as number;
    const out = allocateLike(dtypeOf(a), a.length);
    for (let i = 0; i < a.length; i++) out[i] = f(a[i] as number, y);
    return out;
  }
  if (a.length === 1) {
    const x = a[0] as number;
    const out = allocateLike(dtypeOf(b), b.length);
    for (let i = 0; i < b.length; i++) out[i] = f(x, b[i] as number);
    return out;
  }
  throw new RangeError(`cannot broadcast lengths ${a.length} and ${b.length}`);
}

/** The typed-array backend of core's update and baselines. */
export const typedArrayOps: ArrayOps<FloatArray> = Object.freeze({
  scalar(value: number, like: FloatArray): FloatArray {
    const out = allocateLike(dtypeOf(like), 1);
    out[0] = value;
    return out;
  },
  add: (a: FloatArray, b: FloatArray) => elementwise(a, b, (x, y) => x + y),
  sub: (a: FloatArray, b: FloatArray) => elementwise(a, b, (x, y) => x - y),
  mul: (a: FloatArray, b: FloatArray) => elementwise(a, b, (x, y) => x * y),
  div: (a: FloatArray, b: FloatArray) => elementwise(a, b, (x, y) => x / y),
  sqrt(a: FloatArray): FloatArray {
    const out = allocateLike(dtypeOf(a), a.length);
    for (let i = 0; i < a.length; i++) out[i] = Math.sqrt(a[i] as number);
    return out;
  },
  /** Accumulates in float64 (a JS number) and rounds once, to the dtype of `a`. */
  sumSquares(a: FloatArray): FloatArray {
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as number;
      sum += x * x;
    }
    const out = allocateLike(dtypeOf(a), 1);
    out[0] = sum;
    return out;
  },
});
