/**
 * A float64 reference of the kernels' math, written from the formulas (plain loops, no
 * folding of constants), a test problem whose gradients depend on the parameters, and the
 * host side of a step that drives the kernels and the reference alike.
 */
import { relativeError } from "@a2s/conformance";
import { mulberry32 } from "@a2s/random";
import type { A2SScalars, AdamScalars, RMSPropScalars, SGDMomentumScalars } from "../src/index.js";

export interface Stats {
  sumSquares: number;
  diffSquares: number;
  maxAbs: number;
  finite: boolean;
}

/** The reference's pass 1 with the sums the kernels add: Σg·prev (and Σ|g·prev|, its error scale), Σprev², Σp². */
export interface FullStats extends Stats {
  gradPrev: number;
  gradPrevAbs: number;
  prevSquares: number;
  paramSquares: number;
}

/** What the host needs from an A2S implementation, kernel or reference. */
export interface A2SLike {
  readonly tensors: readonly { param: ArrayLike<number>; grad: { [i: number]: number; length: number } }[];
  gradientStats(index: number, clip: number): Stats;
  update(index: number, scalars: A2SScalars): void;
}

/** What the host needs from a baseline's implementation, kernel or reference. */
export interface BaselineLike<S> {
  readonly tensors: readonly { param: ArrayLike<number>; grad: { [i: number]: number; length: number } }[];
  update(index: number, scalars: S): void;
}

export function referenceStats(g: ArrayLike<number>, prev: ArrayLike<number>, clip: number): Stats {
  const { sumSquares, diffSquares, maxAbs, finite } = referenceFullStats(g, prev, clip);
  return { sumSquares, diffSquares, maxAbs, finite };
}

export function referenceFullStats(
  g: ArrayLike<number>,
  prev: ArrayLike<number>,
  clip: number,
  param: ArrayLike<number> = [],
): FullStats {
  let sumSquares = 0;
  let diffSquares = 0;
  let maxAbs = 0;
  let gradPrev = 0;
  let gradPrevAbs = 0;
  let prevSquares = 0;
  let paramSquares = 0;
  for (let i = 0; i < g.length; i++) {
    const gi = g[i] as number;
    const pi = prev[i] as number;
    const d = clip * gi - pi;
    sumSquares += gi * gi;
    diffSquares += d * d;
    gradPrev += gi * pi;
    gradPrevAbs += Math.abs(gi * pi);
    prevSquares += pi * pi;
    maxAbs = Math.max(maxAbs, Math.abs(gi));
  }
  for (let i = 0; i < param.length; i++) paramSquares += (param[i] as number) ** 2;
  return {
    sumSquares,
    diffSquares,
    maxAbs,
    finite: Number.isFinite(sumSquares),
    gradPrev,
    gradPrevAbs,
    prevSquares,
    paramSquares,
  };
}

const zeros = (n: number) => new Float64Array(n);

export class ReferenceA2S implements A2SLike {
  readonly tensors: {
    param: Float64Array;
    grad: Float64Array;
    m: Float64Array;
    v: Float64Array;
    buf: Float64Array;
    prev: Float64Array;
  }[];
  constructor(lengths: readonly number[]) {
    this.tensors = lengths.map((n) => ({
      param: zeros(n),
      grad: zeros(n),
      m: zeros(n),
      v: zeros(n),
      buf: zeros(n),
      prev: zeros(n),
    }));
  }
  gradientStats(index: number, clip: number): Stats {
    const t = this.tensors[index]!;
    return referenceStats(t.grad, t.prev, clip);
  }
  update(index: number, s: A2SScalars): void {
    const { param: p, grad: g, m, v, buf, prev } = this.tensors[index]!;
    for (let i = 0; i < p.length; i++) {
      const gi = s.clip * g[i]!;
      m[i] = s.beta1 * m[i]! + (1 - s.beta1) * gi;
      v[i] = s.beta2 * v[i]! + (1 - s.beta2) * gi * gi;
      const adam = m[i]! / s.biasCorrection1 / (Math.sqrt(v[i]! / s.biasCorrection2) + s.epsilon);
      buf[i] = s.momentum * buf[i]! + gi;
      const delta =
        s.w * s.lrAdam * (adam + s.weightDecay * p[i]!) +
        (1 - s.w) * s.lrSgd * (buf[i]! + s.weightDecay * p[i]!);
      p[i] = p[i]! - delta;
      prev[i] = gi;
    }
  }
}

/** Float64 arrays named like a kernel set's, every one zero. */
function zeroArrays<Name extends string>(lengths: readonly number[], names: readonly Name[]) {
  return lengths.map(
    (n) => Object.fromEntries(names.map((name) => [name, zeros(n)])) as Record<Name, Float64Array>,
  );
}

export class ReferenceAdam implements BaselineLike<AdamScalars> {
  readonly tensors: Record<"param" | "grad" | "m" | "v", Float64Array>[];
  constructor(lengths: readonly number[]) {
    this.tensors = zeroArrays(lengths, ["param", "grad", "m", "v"]);
  }
  update(index: number, s: AdamScalars): void {
    const { param: p, grad: g, m, v } = this.tensors[index]!;
    for (let i = 0; i < p.length; i++) {
      const gi = s.clip * g[i]!;
      m[i] = s.beta1 * m[i]! + (1 - s.beta1) * gi;
      v[i] = s.beta2 * v[i]! + (1 - s.beta2) * gi * gi;
      const adam = m[i]! / s.biasCorrection1 / (Math.sqrt(v[i]! / s.biasCorrection2) + s.epsilon);
      p[i] = p[i]! - s.learningRate * (adam + s.weightDecay * p[i]!);
    }
  }
}

export class ReferenceRMSProp implements BaselineLike<RMSPropScalars> {
  readonly tensors: Record<"param" | "grad" | "v", Float64Array>[];
  constructor(lengths: readonly number[]) {
    this.tensors = zeroArrays(lengths, ["param", "grad", "v"]);
  }
  update(index: number, s: RMSPropScalars): void {
    const { param: p, grad: g, v } = this.tensors[index]!;
    for (let i = 0; i < p.length; i++) {
      const gi = s.clip * g[i]!;
      v[i] = s.decay * v[i]! + (1 - s.decay) * gi * gi;
      p[i] = p[i]! - s.learningRate * (gi / (Math.sqrt(v[i]!) + s.epsilon) + s.weightDecay * p[i]!);
    }
  }
}

export class ReferenceSGDMomentum implements BaselineLike<SGDMomentumScalars> {
  readonly tensors: Record<"param" | "grad" | "buf", Float64Array>[];
  constructor(lengths: readonly number[]) {
    this.tensors = zeroArrays(lengths, ["param", "grad", "buf"]);
  }
  update(index: number, s: SGDMomentumScalars): void {
    const { param: p, grad: g, buf } = this.tensors[index]!;
    for (let i = 0; i < p.length; i++) {
      buf[i] = s.momentum * buf[i]! + s.clip * g[i]!;
      p[i] = p[i]! - s.learningRate * (buf[i]! + s.weightDecay * p[i]!);
    }
  }
}

/**
 * `loss = sum a (p - target)^2 / 2` with noise added to the gradient: curvatures in
 * [0.5, 2], targets and starting points of order 1 and away from 0, so the normwise
 * relative error is measured against values of order 1, and a wrong step changes every
 * later gradient.
 */
export class Problem {
  readonly start: Float64Array[];
  readonly #a: Float64Array[];
  readonly #target: Float64Array[];
  readonly #noise: Float64Array[][];
  constructor(lengths: readonly number[], steps: number, seed: number) {
    const random = mulberry32(seed);
    const draw = (n: number, low: number, high: number) =>
      Float64Array.from({ length: n }, () => low + (high - low) * random());
    const signed = (n: number) => draw(n, 1, 2).map((x) => (random() < 0.5 ? -x : x));
    this.start = lengths.map(signed);
    this.#a = lengths.map((n) => draw(n, 0.5, 2));
    this.#target = lengths.map(signed);
    this.#noise = Array.from({ length: steps }, () => lengths.map((n) => draw(n, -0.3, 0.3)));
  }
  /** Writes the gradient at `params` for step `t` (from 1) into `out`. */
  gradient(index: number, t: number, params: ArrayLike<number>, out: { [i: number]: number }): void {
    const a = this.#a[index]!;
    const target = this.#target[index]!;
    const noise = this.#noise[t - 1]![index]!;
    for (let i = 0; i < a.length; i++) out[i] = a[i]! * ((params[i] as number) - target[i]!) + noise[i]!;
  }
}

export interface A2SConfig {
  clip: number;
  w: number;
  weightDecay: number;
  lrAdam: number;
  lrSgd: number;
  beta1: number;
  beta2: number;
  momentum: number;
  epsilon: number;
  curvatureK: number;
}

/** One A2S step as a host drives it: pass 1 over every tensor, the step's scalars, pass 2. */
export function a2sStep(target: A2SLike, problem: Problem, t: number, o: A2SConfig): Stats[] {
  target.tensors.forEach((tensor, i) => {
    problem.gradient(i, t, tensor.param, tensor.grad);
  });
  const stats = target.tensors.map((_, i) => target.gradientStats(i, o.clip));
  // As in the seed: no curvature on the first step, when there is no previous gradient.
  const curvature = t === 1 ? 0 : Math.sqrt(stats.reduce((sum, s) => sum + s.diffSquares, 0));
  const scale = 1 / (1 + o.curvatureK * curvature);
  const scalars: A2SScalars = {
    clip: o.clip,
    beta1: o.beta1,
    beta2: o.beta2,
    momentum: o.momentum,
    epsilon: o.epsilon,
    biasCorrection1: 1 - o.beta1 ** t,
    biasCorrection2: 1 - o.beta2 ** t,
    w: o.w,
    lrAdam: o.lrAdam * scale,
    lrSgd: o.lrSgd * scale,
    weightDecay: o.weightDecay,
  };
  target.tensors.forEach((_, i) => {
    target.update(i, scalars);
  });
  return stats;
}

/** One baseline step: every gradient at the current parameters, then `scalars(t)` for every tensor. */
export function baselineStep<S>(target: BaselineLike<S>, problem: Problem, t: number, scalars: S): void {
  target.tensors.forEach((tensor, i) => {
    problem.gradient(i, t, tensor.param, tensor.grad);
  });
  target.tensors.forEach((_, i) => {
    target.update(i, scalars);
  });
}

/**
 * The conformance suite's normwise relative error of one array over all tensors together.
 * Parameters are compared per tensor (their values are of order 1), state slots over the
 * whole set: a slot of a one-element tensor passes near 0 as the gradients shrink, and an
 * error relative to that value would measure nothing but its closeness to 0.
 */
export function slotError(
  actual: readonly ArrayLike<number>[],
  expected: readonly ArrayLike<number>[],
): number {
  const join = (arrays: readonly ArrayLike<number>[]) => arrays.flatMap((a) => Array.from(a));
  return relativeError(join(actual), join(expected));
}
