/** A minimal engine backend over Float64Arrays, for core's own tests (adapters bring their own). */
import { type ArrayOps, type EngineBackend, firstNonFinite } from "../src/index.js";

export type A = Float64Array;
const zip = (f: (x: number, y: number) => number) => (a: A, b: A) => {
  const n = Math.max(a.length, b.length);
  return Float64Array.from({ length: n }, (_, i) =>
    f(a[a.length === 1 ? 0 : i] as number, b[b.length === 1 ? 0 : i] as number),
  );
};
export const ops: ArrayOps<A> = {
  scalar: (x) => Float64Array.of(x),
  add: zip((x, y) => x + y),
  sub: zip((x, y) => x - y),
  mul: zip((x, y) => x * y),
  div: zip((x, y) => x / y),
  maximum: zip(Math.max),
  minimum: zip(Math.min),
  greater: zip((x, y) => (x > y ? 1 : 0)),
  where: (c, a, b) => {
    const at = (x: A, i: number) => x[x.length === 1 ? 0 : i] as number;
    return Float64Array.from({ length: Math.max(c.length, a.length, b.length) }, (_, i) =>
      at(c, i) !== 0 ? at(a, i) : at(b, i),
    );
  },
  sqrt: (a) => a.map(Math.sqrt),
  sum: (a) => Float64Array.of(a.reduce((s, x) => s + x, 0)),
  sumSquares: (a) => Float64Array.of(a.reduce((s, x) => s + x * x, 0)),
};
export const backend: EngineBackend<A> = {
  ops,
  zeros: (shape) => new Float64Array(shape.reduce((a, b) => a * b, 1)),
  fromHost: (values) => Float64Array.from(values),
  toHost: (value) => value.slice(),
  assign: (target, value) => target.set(value),
  findNonFinite: (values) => firstNonFinite(values),
};
