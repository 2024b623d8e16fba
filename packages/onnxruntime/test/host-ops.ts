/**
 * Eager float64 ArrayOps for the tests' reference trajectories: core's own update run on
 * host arrays, so a difference can only come from the recorded graph.
 */
import type { ArrayOps } from "@a2s/core";

const zip = (a: Float64Array, b: Float64Array, f: (x: number, y: number) => number) => {
  const n = Math.max(a.length, b.length);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++)
    out[i] = f(a[a.length === 1 ? 0 : i] as number, b[b.length === 1 ? 0 : i] as number);
  return out;
};

export const hostOps: ArrayOps<Float64Array> = {
  scalar: (value) => Float64Array.of(value),
  add: (a, b) => zip(a, b, (x, y) => x + y),
  sub: (a, b) => zip(a, b, (x, y) => x - y),
  mul: (a, b) => zip(a, b, (x, y) => x * y),
  div: (a, b) => zip(a, b, (x, y) => x / y),
  sqrt: (a) => a.map(Math.sqrt),
  sumSquares: (a) => Float64Array.of(a.reduce((s, x) => s + x * x, 0)),
};
