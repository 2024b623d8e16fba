/**
 * The calls into the kernels that the kernels' own memory ({@link KernelMemory}) and a
 * host's memory (`A2SHostKernels`) make alike: pass 1 with its exact fallback, and A2S's
 * pass 2 with its scalars folded. Only where the arrays live differs.
 */
import type { GradientStats } from "./kernel-memory.js";
import type { KernelExports } from "./module.js";
import { type A2SScalars, foldA2S } from "./scalars.js";

/**
 * Pass 1 over `grad` and `prev` (byte offsets), and over `param` when given, into the
 * 64 bytes at `statsOffset`: the fast pass, and the exact one when a fast
 * sum is not finite (a non-finite gradient, or float32 squares or products that overflowed).
 * `stats` views those bytes; it is asked for after each pass, since a host's memory may
 * have grown (and detached an older view) between calls.
 */
export function gradientStatsAt(
  kernels: KernelExports,
  stats: () => Float64Array,
  statsOffset: number,
  grad: number,
  prev: number,
  n: number,
  clip: number,
  param?: number,
): GradientStats {
  const c = Math.fround(clip);
  const withParams = param === undefined ? 0 : 1;
  const p = param ?? 0;
  kernels.gradientStats(grad, prev, p, n, c, withParams, statsOffset);
  let s = stats();
  let finite = true;
  // Σp² is left out of the test: parameters are not the gradient's to refuse, and the exact pass would give the same non-finite sum.
  if (![s[0], s[1], s[4], s[5]].every((x) => Number.isFinite(x))) {
    kernels.gradientStatsExact(grad, prev, p, n, c, withParams, statsOffset);
    s = stats();
    finite = s[3] === 1;
  }
  return {
    sumSquares: s[0] as number,
    diffSquares: s[1] as number,
    maxAbs: s[2] as number,
    finite,
    gradPrev: s[4] as number,
    prevSquares: s[5] as number,
    ...(param === undefined ? {} : { paramSquares: s[6] as number }),
  };
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
