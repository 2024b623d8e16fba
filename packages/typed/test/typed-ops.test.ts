import { describe, expect, test } from "vitest";
import { typedArrayOps as ops } from "../src/index.js";

const f32 = (...xs: number[]) => Float32Array.from(xs);
const f64 = (...xs: number[]) => Float64Array.from(xs);

describe("typedArrayOps", () => {
  test("elementwise arithmetic on equal lengths", () => {
    expect(ops.add(f64(1, 2), f64(3, 4))).toEqual(f64(4, 6));
    expect(ops.sub(f64(1, 2), f64(3, 5))).toEqual(f64(-2, -3));
    expect(ops.mul(f64(1, 2), f64(3, 4))).toEqual(f64(3, 8));
    expect(ops.div(f64(1, 2), f64(4, 8))).toEqual(f64(0.25, 0.25));
    expect(ops.sqrt(f64(4, 9))).toEqual(f64(2, 3));
  });

  test("a one-element operand broadcasts on either side", () => {
    expect(ops.sub(f64(10), f64(1, 2, 3))).toEqual(f64(9, 8, 7));
    expect(ops.div(f64(2, 4, 6), f64(2))).toEqual(f64(1, 2, 3));
    expect(ops.mul(f64(3), f64(5))).toEqual(f64(15));
  });

  test("other length pairs are refused", () => {
    expect(() => ops.add(f64(1, 2), f64(1, 2, 3))).toThrow(RangeError);
  });

  test("results keep the operand dtype, so float32 rounds after every operation", () => {
    const a = f32(0.1);
    const b = f32(0.2);
    const sum = ops.add(a, b);
    expect(sum).toBeInstanceOf(Float32Array);
    expect(sum[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    expect(ops.scalar(0.1, a)).toEqual(f32(0.1));
    expect(ops.scalar(0.1, f64(1))[0]).toBe(0.1);
    // The broadcast result takes the dtype of the longer operand.
    expect(ops.mul(f64(2), f32(1, 2))).toBeInstanceOf(Float32Array);
  });

  test("sumSquares accumulates in float64 and rounds once", () => {
    // 2^24 + 1 + 1 ... is not representable step by step in float32; in float64 it is.
    const values = new Float32Array(5).fill(1);
    values[0] = 4096; // 4096^2 = 2^24
    const s = ops.sumSquares(values);
    expect(s).toBeInstanceOf(Float32Array);
    expect(s[0]).toBe(Math.fround(2 ** 24 + 4));
    expect(ops.sumSquares(f64(3, 4))).toEqual(f64(25));
  });
});
