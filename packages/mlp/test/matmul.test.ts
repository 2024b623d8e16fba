import { mulberry32 } from "@a2s/mnist";
import { describe, expect, it } from "vitest";
import { matmul, matmulTransA, matmulTransB } from "../src/matmul.js";

/** Random matrix with about a third of its entries exactly zero (the kernels skip zeros). */
function random(length: number, seed: number): Float64Array {
  const u = mulberry32(seed);
  return Float64Array.from({ length }, () => (u() < 0.33 ? 0 : u() * 2 - 1));
}

/** Reference product of plain loops: C[i,j] = sum_p A(i,p) B(p,j) with element accessors. */
function reference(
  m: number,
  k: number,
  n: number,
  a: (i: number, p: number) => number,
  b: (p: number, j: number) => number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a(i, p) * b(p, j);
      c[i * n + j] = s;
    }
  return c;
}

// Sizes cross the kernels' block boundaries (8192 / n rows per block) and are not multiples of them.
const SHAPES = [
  [3, 1100, 16],
  [7, 300, 130],
  [1, 5, 1],
  [64, 784, 128],
] as const;

// Float64 sums in another order differ by rounding only: 1e-12 absolute on sums of O(30) magnitude.
const TOLERANCE = 1e-12;

describe.each(SHAPES)("products of shape m=%i k=%i n=%i", (m, k, n) => {
  it("matmul: C = A B, and accumulates on request", () => {
    const a = random(m * k, 1);
    const b = random(k * n, 2);
    const c = new Float64Array(m * n).fill(Number.NaN);
    matmul(a, b, c, m, k, n);
    const want = reference(
      m,
      k,
      n,
      (i, p) => a[i * k + p] as number,
      (p, j) => b[p * n + j] as number,
    );
    expect(maxDiff(c, want)).toBeLessThan(TOLERANCE);
    matmul(a, b, c, m, k, n, true);
    expect(
      maxDiff(
        c,
        want.map((x) => 2 * x),
      ),
    ).toBeLessThan(2 * TOLERANCE);
  });

  it("matmulTransA: C = A^T B", () => {
    const a = random(m * k, 3);
    const b = random(m * n, 4);
    const c = new Float64Array(k * n).fill(Number.NaN);
    matmulTransA(a, b, c, m, k, n);
    const want = reference(
      k,
      m,
      n,
      (p, i) => a[i * k + p] as number,
      (i, j) => b[i * n + j] as number,
    );
    expect(maxDiff(c, want)).toBeLessThan(TOLERANCE);
  });

  it("matmulTransB: C = A B^T", () => {
    const a = random(m * n, 5);
    const b = random(k * n, 6);
    const c = new Float64Array(m * k).fill(Number.NaN);
    matmulTransB(a, b, c, m, n, k);
    const want = reference(
      m,
      n,
      k,
      (i, j) => a[i * n + j] as number,
      (j, p) => b[p * n + j] as number,
    );
    expect(maxDiff(c, want)).toBeLessThan(TOLERANCE);
  });
});

function maxDiff(x: Float64Array, y: Float64Array): number {
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
  return worst;
}
