/** How the tiers measure agreement, and the tolerances they allow (each with its reason). */
import type { FloatDType } from "@a2s/core";

/**
 * Largest allowed normwise relative error of a trajectory against the float64 oracle,
 * measured per tensor and per step (see {@link relativeError}).
 */
export const TOLERANCE: Readonly<Record<FloatDType, number>> = Object.freeze({
  // float64: adapter and oracle evaluate the same formulas in the same precision; only
  // the association of a few sums and products may differ, each costing about one ulp
  // (1.1e-16) per step. The problem is contractive, so 60+ steps keep the accumulated
  // difference to a few ulps (the math tier prints the worst it sees): 1e-12 leaves room
  // for a different summation order in a backend (pairwise, SIMD) while a single wrong
  // term (1e-3 and up) still fails.
  float64: 1e-12,
  // float32: every stored value (gradient, m, v, buffer, parameter) is rounded to 24 bits
  // (relative 6e-8) on every step, and those roundings accumulate over 60+ steps; Adam's
  // m/sqrt(v) passes on the relative error of its moments undamped, so a correct float32
  // backend ends a few to tens of roundings away; 1e-5 (about 170 roundings) leaves room
  // for backends that round in another order or fuse operations, and stays 100 times
  // below the effect of any wrong term (a step is ~1e-3 of a parameter).
  float32: 1e-5,
});

/**
 * Normwise relative error `max|a - e| / max|e|` of one tensor. Per element relative error
 * would be meaningless where a value passes near 0; the test problem keeps every tensor's
 * values of order 1, so the norm is never small.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const d = Math.abs(a - e);
    // NaN must count as a failure, and Math.max(NaN, x) would hide it in `diff`.
    diff = d > diff || Number.isNaN(d) ? d : diff;
    scale = Math.max(scale, Math.abs(e));
  }
  return scale === 0 ? diff : diff / scale;
}

/** The worst {@link relativeError} over all tensors of `expected`. */
export function worstRelativeError(
  actual: Readonly<Record<string, ArrayLike<number>>>,
  expected: Readonly<Record<string, ArrayLike<number>>>,
): number {
  let worst = 0;
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    const error = a === undefined ? Number.POSITIVE_INFINITY : relativeError(a, e);
    if (!(error <= worst)) worst = error;
  }
  return worst;
}

/** Where two arrays first differ bit for bit (NaN equals NaN, 0 differs from -0), or -1. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** A description of the first bitwise difference between two sets of tensors, or undefined. */
export function describeDifference(
  actual: Readonly<Record<string, ArrayLike<number>>>,
  expected: Readonly<Record<string, ArrayLike<number>>>,
): string | undefined {
  const names = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const name of names) {
    const a = actual[name];
    const e = expected[name];
    if (a === undefined || e === undefined) return `${name} is only on one side`;
    const i = firstDifference(a, e);
    if (i >= 0) return `${name}[${i}]: ${a[i]} vs ${e[i]} (lengths ${a.length}, ${e.length})`;
  }
  return undefined;
}

/** Whether two byte arrays hold the same bytes (checkpoints compared before and after). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
