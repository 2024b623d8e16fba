/**
 * Option (d) of the WebAssembly comparison: the fused A2S step in plain JavaScript with
 * float32 arithmetic (every intermediate through Math.fround), to see whether float32
 * math alone, without SIMD, closes the gap to the C loop. Same passes and folding as the
 * kernels; the seed's defaults in the Adam phase.
 */
import { a2s } from "@a2s/core";
import type { TensorShapes } from "./adapters/types.js";
import { stepInputs } from "./shapes.js";

const f = Math.fround;

/** The seed's defaults, as core resolves them. */
const A2S_DEFAULTS = a2s().options as Record<
  "lrAdam" | "beta1" | "beta2" | "momentum" | "epsilon" | "curvatureK",
  number
>;

function diffSquares(g: Float32Array, prev: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < g.length; i++) {
    const d = f((g[i] as number) - (prev[i] as number));
    sum += d * d;
  }
  return sum;
}

function update(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  buf: Float32Array,
  prev: Float32Array,
  adamRate: number,
  invBc2: number,
  sgdRate: number,
): void {
  const { beta1, beta2, momentum, epsilon } = A2S_DEFAULTS;
  const b1 = f(beta1);
  const a1 = f(1 - beta1);
  const b2 = f(beta2);
  const a2 = f(1 - beta2);
  const mu = f(momentum);
  const ep = f(epsilon);
  const ar = f(adamRate);
  const ib = f(invBc2);
  const sr = f(sgdRate);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] as number;
    const mi = f(f(b1 * (m[i] as number)) + f(a1 * gi));
    const vi = f(f(b2 * (v[i] as number)) + f(a2 * f(gi * gi)));
    const bi = f(f(mu * (buf[i] as number)) + gi);
    m[i] = mi;
    v[i] = vi;
    buf[i] = bi;
    prev[i] = gi;
    const adam = f(f(ar * mi) / f(f(Math.sqrt(f(vi * ib))) + ep));
    p[i] = f((p[i] as number) - f(adam + f(sr * bi)));
  }
}

/** One step per `step()`, alternating between two gradient sets as the adapters' steppers do. */
export function froundA2SStep(shapes: TensorShapes): { step: () => void; params: readonly Float32Array[] } {
  const { params, grads } = stepInputs(shapes);
  const tensors = Object.values(params).map((p) => ({
    p,
    m: new Float32Array(p.length),
    v: new Float32Array(p.length),
    buf: new Float32Array(p.length),
    prev: new Float32Array(p.length),
  }));
  const gradSets = grads.map((set) => Object.values(set));
  const o = A2S_DEFAULTS;
  let t = 0;
  let turn = 0;
  const step = () => {
    t++;
    turn ^= 1;
    const g = gradSets[turn] as Float32Array[];
    let sum = 0;
    tensors.forEach((tensor, i) => {
      sum += diffSquares(g[i] as Float32Array, tensor.prev);
    });
    if (!Number.isFinite(sum)) throw new RangeError("a gradient is not finite");
    const scale = t === 1 ? 1 : 1 / (1 + o.curvatureK * Math.sqrt(sum));
    // The Adam phase (w = 1), as every row runs: the SGD branch's rate is 0 but computed.
    const adamRate = (o.lrAdam * scale) / (1 - o.beta1 ** t);
    const invBc2 = 1 / (1 - o.beta2 ** t);
    tensors.forEach((tensor, i) => {
      update(
        tensor.p,
        g[i] as Float32Array,
        tensor.m,
        tensor.v,
        tensor.buf,
        tensor.prev,
        adamRate,
        invBc2,
        0,
      );
    });
  };
  return { step, params: tensors.map((t) => t.p) };
}
