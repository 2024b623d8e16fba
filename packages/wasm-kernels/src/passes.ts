/**
 * The calls into the kernels that the kernels' own memory ({@link KernelMemory}) and a
 * host's memory (`A2SHostKernels`) make alike: pass 1 with its exact fallback, and A2S's
 * pass 2 with its scalars folded. Only where the arrays live differs.
 */
import type { GradientStats } from "./kernel-memory.js";
import type { KernelExports } from "./module.js";
import { type A2SScalars, foldA2S } from "./scalars.js";

/**
 * Pass 1 over `grad` and `prev` (byte offsets) into the 32 bytes at `statsOffset`: the fast
 * pass, and the exact one when the fast sums are not finite (a non-finite gradient, or float32
 * squares that overflowed). `stats` views those bytes; it is asked for after each pass,
 * since a host's memory may have grown (and detached an older view) between calls.
 */
export function gradientStatsAt(
  kernels: KernelExports,
  stats: () => Float64Array,
  statsOffset: number,
  grad: number,
  prev: number,
  n: number,
  clip: number,
): GradientStats {
  const c = Math.fround(clip);
  kernels.gradientStats(grad, prev, n, c, statsOffset);
  let s = stats();
  let finite = true;
  if (!(Number.isFinite(s[0]) && Number.isFinite(s[1]))) {
    kernels.gradientStatsExact(grad, prev, n, c, statsOffset);
    s = stats();
    finite = s[3] === 1;
  }
  return { sumSquares: s[0] as number, diffSquares: s[1] as number, maxAbs: s[2] as number, finite };
}

/** Byte offsets of one tensor's A2S arrays (float32, 4-byte aligned). */
export interface A2SOffsets {
  param: number;
  grad: number;
  m: number;
  v: number;
  buf: number;
  prev: number;
}

/** A2S's pass 2 over `n` elements: `m`, `v`, `buf`, `param` updated, the clipped gradient stored in `prev`. */
export function a2sUpdateAt(
  kernels: KernelExports,
  at: Readonly<A2SOffsets>,
  n: number,
  scalars: Readonly<A2SScalars>,
): void {
  const k = foldA2S(scalars);
  kernels.a2sUpdate(
    at.param,
    at.grad,
    at.m,
    at.v,
    at.buf,
    at.prev,
    n,
    k.clip,
    k.beta1,
    k.oneMinusBeta1,
    k.beta2,
    k.oneMinusBeta2,
    k.momentum,
    k.epsilon,
    k.adamRate,
    k.invBc2,
    k.sgdRate,
    k.decayRate,
  );
}
