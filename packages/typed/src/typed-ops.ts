/**
 * {@link ArrayOps} over host typed arrays: the generic path, where core's transforms run
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

/** The typed-array operations of the generic kernel. */
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
  maximum: (a: FloatArray, b: FloatArray) => elementwise(a, b, (x, y) => (x > y ? x : y)),
  minimum: (a: FloatArray, b: FloatArray) => elementwise(a, b, (x, y) => (x < y ? x : y)),
  greater: (a: FloatArray, b: FloatArray) => elementwise(a, b, (x, y) => (x > y ? 1 : 0)),
  where(condition: FloatArray, a: FloatArray, b: FloatArray): FloatArray {
    const length = Math.max(condition.length, a.length, b.length);
    const out = allocateLike(dtypeOf(a.length >= b.length ? a : b), length);
    const at = (array: FloatArray, i: number) => array[array.length === 1 ? 0 : i] as number;
    for (let i = 0; i < length; i++) out[i] = at(condition, i) !== 0 ? at(a, i) : at(b, i);
    return out;
  },
  /** Accumulates in float64 (a JS number) and rounds once, to the dtype of `a`. */
  sum(a: FloatArray): FloatArray {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += a[i] as number;
    const out = allocateLike(dtypeOf(a), 1);
    out[0] = sum;
    return out;
  },
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
