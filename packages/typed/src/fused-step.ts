/**
 * What the fused kernels share: the first pass over the gradients (clipping norm,
 * curvature sums, finiteness), the step's clipping, and the guard that proves a step's
 * results finite before the second pass writes anything.
 *
 * A fused kernel writes parameters and state in place, so it cannot undo a half-done
 * step. It therefore writes only once the step is known to give finite values. The proof
 * is cheap: from the first pass (sums of squares of gradients and, with weight decay,
 * parameters) and from bounds on the state that the kernels carry from step to step
 * (max |m|, max v, max |buf|), every result has a bound; when every bound is far below
 * the largest float, the step is safe. Otherwise (extreme gradients or rates) a checking
 * pass computes every result without writing and refuses the step if one is not finite.
 */
import {
  type Algorithm,
  type Engine,
  type FloatArray,
  type FloatDType,
  firstNonFinite,
  NonFiniteGradientError,
  NonFiniteResultError,
  type PreparedStep,
} from "@a2s/core";

/**
 * Runs one step in place and returns the values it publishes (diagnostics), by name.
 * A generator: it yields each set of partial sums it needs summed across shards and is
 * resumed with the global sums, so one kernel serves synchronous and asynchronous
 * `allReduce`s (see {@link runFused}).
 */
export interface FusedKernel {
  /** Whether this kernel computes the algorithm with these options (else the generic kernel runs). */
  supports?(algorithm: Algorithm): boolean;
  step(engine: Engine<FloatArray>, prepared: PreparedStep<FloatArray>): FusedStep;
}

export type FusedStep = Generator<Float64Array, Map<string, FloatArray>, Float64Array>;

/** Drives a fused step, asking the engine for each global sum; a promise only when the allReduce returns one. */
export function runFused(
  engine: Engine<FloatArray>,
  step: FusedStep,
): Map<string, FloatArray> | Promise<Map<string, FloatArray>> {
  let next = step.next();
  while (!next.done) {
    const totals = engine.reduceOnHost(next.value);
    if (totals instanceof Promise) return finishAsync(engine, step, totals);
    next = step.next(totals);
  }
  return next.value;
}

async function finishAsync(
  engine: Engine<FloatArray>,
  step: FusedStep,
  pending: Promise<Float64Array>,
): Promise<Map<string, FloatArray>> {
  let next = step.next(await pending);
  while (!next.done) next = step.next(await engine.reduceOnHost(next.value));
  return next.value;
}

/** Largest finite value of each dtype. */
export const LARGEST: Readonly<Record<FloatDType, number>> = {
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
};

/** Below this, intermediates computed in float64 cannot overflow. */
const SAFE_INTERMEDIATE = 1e300;

/**
 * Below this, intermediates computed in float32 (the WebAssembly kernels) cannot
 * overflow: half the largest float32 leaves room for the rounding of every operand.
 */
export const SAFE_FLOAT32_INTERMEDIATE = LARGEST.float32 / 2;

/** Largest finite value every tensor of the step can hold. */
export function largestOf(prepared: PreparedStep<FloatArray>): number {
  return prepared.dtypes.includes("float32") ? LARGEST.float32 : LARGEST.float64;
}

/** Sums of the first pass, over all tensors, each tensor's partial added in tensor order. */
export interface GradientSums {
  /** Σ g². */
  readonly gradSquares: number;
  /** Σ (g − prev)², when asked for. */
  readonly differenceSquares: number;
  /** Σ p², when asked for. */
  readonly paramSquares: number;
  /**
   * Σ g·prev and Σ prev², where the pass gives them (with the difference): Σ (c·g − prev)²
   * for a clipping factor c then needs no second pass (see {@link clippedDifferenceFromSums}).
   */
  readonly gradPrev?: number;
  readonly prevSquares?: number;
}

/**
 * The first pass: reads every gradient once (and `prev` or the parameter when asked), in
 * one loop per tensor. A NaN or ±Infinity makes Σg² non-finite; only then are the
 * gradients searched for the culprit (a finite sum that overflows is no error: the
 * generic path sees the same).
 *
 * @throws NonFiniteGradientError at the first non-finite gradient element.
 */
export function gradientSums(
  prepared: PreparedStep<FloatArray>,
  withDifference: boolean,
  withParams: boolean,
): GradientSums {
  let gradSquares = 0;
  let differenceSquares = 0;
  let paramSquares = 0;
  let gradPrev = 0;
  let prevSquares = 0;
  prepared.inputs.forEach(({ grad: g, param: p }, k) => {
    let g2 = 0;
    let d2 = 0;
    let p2 = 0;
    let gp = 0;
    let pp = 0;
    // Four loops rather than one with tests inside: each is the hot loop of some step.
    if (withDifference) {
      const prev = prepared.state.slots[k]?.prev as FloatArray;
      if (withParams) {
        for (let i = 0; i < g.length; i++) {
          const gi = g[i] as number;
          const qi = prev[i] as number;
          const pi = p[i] as number;
          const d = gi - qi;
          g2 += gi * gi;
          d2 += d * d;
          gp += gi * qi;
          pp += qi * qi;
          p2 += pi * pi;
        }
      } else {
        for (let i = 0; i < g.length; i++) {
          const gi = g[i] as number;
          const qi = prev[i] as number;
          const d = gi - qi;
          g2 += gi * gi;
          d2 += d * d;
          gp += gi * qi;
          pp += qi * qi;
        }
      }
    } else if (withParams) {
      for (let i = 0; i < g.length; i++) {
        const gi = g[i] as number;
        const pi = p[i] as number;
        g2 += gi * gi;
        p2 += pi * pi;
      }
    } else {
      for (let i = 0; i < g.length; i++) {
        const gi = g[i] as number;
        g2 += gi * gi;
      }
    }
    gradSquares += g2;
    differenceSquares += d2;
    paramSquares += p2;
    gradPrev += gp;
    prevSquares += pp;
  });
  if (gradSquares - gradSquares !== 0) {
    const bad = firstNonFinite(prepared.inputs.map((input) => input.grad));
    if (bad !== undefined) {
      throw new NonFiniteGradientError(
        (prepared.tensors[bad.which] as { name: string }).name,
        bad.index,
        bad.value,
      );
    }
  }
  return withDifference
    ? { gradSquares, differenceSquares, paramSquares, gradPrev, prevSquares }
    : { gradSquares, differenceSquares, paramSquares };
}

/** One tensor's sums from a first pass run elsewhere (the SIMD kernels); a sum the pass does not give is absent. */
export interface TensorSums {
  readonly sumSquares: number;
  readonly diffSquares?: number;
  readonly gradPrev?: number;
  readonly prevSquares?: number;
  readonly paramSquares?: number;
}

/**
 * The step's sums from each tensor's, added in tensor order; Σg·prev and Σprev² only when
 * every tensor gave them (else a clipped step takes the exact pass).
 */
export function addTensorSums(parts: readonly TensorSums[]): GradientSums {
  let gradSquares = 0;
  let differenceSquares = 0;
  let paramSquares = 0;
  let gradPrev: number | undefined = 0;
  let prevSquares: number | undefined = 0;
  for (const part of parts) {
    gradSquares += part.sumSquares;
    differenceSquares += part.diffSquares ?? 0;
    paramSquares += part.paramSquares ?? 0;
    gradPrev = gradPrev === undefined || part.gradPrev === undefined ? undefined : gradPrev + part.gradPrev;
    prevSquares =
      prevSquares === undefined || part.prevSquares === undefined
        ? undefined
        : prevSquares + part.prevSquares;
  }
  return gradPrev === undefined || prevSquares === undefined
    ? { gradSquares, differenceSquares, paramSquares }
    : { gradSquares, differenceSquares, paramSquares, gradPrev, prevSquares };
}

/**
 * The smallest share of c²Σg² + Σprev² that Σ (c·g − prev)² may be when it is taken from
 * the sums: below it the subtraction cancels, and each halving of the share would double
 * the sums' own rounding error in the result. At 1/4 the result's error is at most about
 * four times the sums' (two bits), which float32 state does not see; consecutive
 * gradients of stochastic training are far from it (the share is near 1 when they are
 * unrelated), and a step under it takes the exact pass.
 */
export const FROM_SUMS_MIN_SHARE = 1 / 4;

/**
 * Σ (c·g − prev)² from pass 1's sums, c²Σg² − 2cΣg·prev + Σprev², saving clipping's second
 * pass over the gradients; undefined where the exact pass must run instead: a float64
 * tensor (whose state would see the rounding), sums a pass did not give, or a share under
 * {@link FROM_SUMS_MIN_SHARE}.
 */
export function clippedDifferenceFromSums(
  prepared: PreparedStep<FloatArray>,
  sums: GradientSums,
  c: number,
): number | undefined {
  const { gradPrev, prevSquares } = sums;
  if (gradPrev === undefined || prevSquares === undefined) return undefined;
  if (prepared.dtypes.some((dtype) => dtype !== "float32")) return undefined;
  const spread = c * c * sums.gradSquares + prevSquares;
  const difference = spread - 2 * c * gradPrev;
  return difference >= FROM_SUMS_MIN_SHARE * spread && Number.isFinite(difference) ? difference : undefined;
}

/** Σ (c·g − prev)², for a step whose clipping factor `c` is not 1. */
export function clippedDifferenceSquares(prepared: PreparedStep<FloatArray>, c: number): number {
  let total = 0;
  prepared.inputs.forEach(({ grad: g }, k) => {
    const prev = prepared.state.slots[k]?.prev as FloatArray;
    let part = 0;
    for (let i = 0; i < g.length; i++) {
      const d = c * (g[i] as number) - (prev[i] as number);
      part += d * d;
    }
    total += part;
  });
  return total;
}

/**
 * The step's clipping, as `clipByGlobalNorm` computes it: the global norm of the
 * gradients and the factor `clipNorm / max(norm, clipNorm)`; factor 1 and no reduction
 * when clipping is off.
 */
export function* clipping(
  clipNorm: number,
  gradSquares: number,
): Generator<Float64Array, { factor: number; norm: number | undefined }, Float64Array> {
  if (clipNorm === Number.POSITIVE_INFINITY) return { factor: 1, norm: undefined };
  const norm = Math.sqrt((yield Float64Array.of(gradSquares))[0] as number);
  return { factor: clipNorm / Math.max(norm, clipNorm), norm };
}

/** Upper bounds on the magnitudes of a state's slots across all tensors. */
export interface StateBounds {
  /** max |m| */
  m: number;
  /** max v */
  v: number;
  /** max |buf| */
  buf: number;
}

const boundsByState = new WeakMap<object, StateBounds>();

function maxAbs(arrays: readonly (FloatArray | undefined)[]): number {
  let max = 0;
  for (const array of arrays) {
    if (array === undefined) continue;
    for (let i = 0; i < array.length; i++) max = Math.max(max, Math.abs(array[i] as number));
  }
  return max;
}

/** The bounds carried for this state; measured once when a state is first seen (new, loaded). */
export function boundsOf(prepared: PreparedStep<FloatArray>): StateBounds {
  let bounds = boundsByState.get(prepared.state);
  if (bounds === undefined) {
    const slots = prepared.state.slots;
    bounds = {
      m: maxAbs(slots.map((own) => own.m)),
      v: maxAbs(slots.map((own) => own.v)),
      buf: maxAbs(slots.map((own) => own.buf)),
    };
  }
  return bounds;
}

/** Keeps the bounds of the state after a step (the state object is the same for every step until replaced). */
export function keepBounds(prepared: PreparedStep<FloatArray>, bounds: StateBounds): void {
  boundsByState.set(prepared.state, bounds);
}

/** Whether every bound leaves room: results certainly finite. */
export function provablyFinite(
  largest: number,
  bounds: GuardBounds,
  intermediateLimit = SAFE_INTERMEDIATE,
): boolean {
  const half = largest / 2;
  if (!bounds.state.every((b) => b <= half)) return false;
  if (!bounds.intermediates.every((b) => b <= intermediateLimit)) return false;
  // A change below 2^100 rounds |p − δ| back to at most the largest float (whose ulp is
  // 2^104 in float32 and far more in float64), whatever p is.
  return bounds.paramIsAbsolute ? bounds.param <= half : bounds.param <= 2 ** 100;
}

/** What {@link provablyFinite} weighs: bounds on a step's results. */
export interface GuardBounds {
  /** Bounds on new state values. */
  readonly state: readonly number[];
  /** Bounds on intermediates, held to the limit of the arithmetic that computes them. */
  readonly intermediates: readonly number[];
  /** Bound on |p| after the step (with weight decay), or on the step's change alone. */
  readonly param: number;
  /** Whether `param` bounds the new parameter (true) or only the change (false). */
  readonly paramIsAbsolute: boolean;
}

/** Rounds `x` to the storage dtype, as storing it would. */
export const roundTo = (dtype: FloatDType, x: number): number => (dtype === "float32" ? Math.fround(x) : x);

/** Throws the error of a result that would not be finite. */
export function refuseResult(
  prepared: PreparedStep<FloatArray>,
  tensor: number,
  slot: string,
  index: number,
  value: number,
): never {
  throw new NonFiniteResultError((prepared.tensors[tensor] as { name: string }).name, slot, index, value);
}

/** Published values are one-element float64 arrays, as the engine keeps them. */
export const scalar = (x: number): FloatArray => Float64Array.of(x);
