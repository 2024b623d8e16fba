/**
 * A2S in two passes: the first over the gradients (clipping norm, curvature, finiteness),
 * the second updating parameter, moments, buffer and previous gradient in one loop per
 * tensor. The step's numbers and the guard are computed here once for both places the
 * passes run: JavaScript loops over the caller's arrays (below), whose intermediates stay
 * in float64 and are rounded once, when stored, in the operation order of core's
 * transforms (the seed's), so float64 results equal the generic kernel's; or the
 * WebAssembly SIMD kernels (simd-kernels.ts).
 */
import {
  type Algorithm,
  blendWeightAt,
  type Engine,
  type FloatArray,
  type FloatDType,
  optionValueAt,
  type PreparedStep,
} from "@a2s/core";
import {
  boundsOf,
  clippedDifferenceFromSums,
  clippedDifferenceSquares,
  clipping,
  type FusedKernel,
  type FusedStep,
  type GradientSums,
  gradientSums,
  keepBounds,
  LARGEST,
  largestOf,
  provablyFinite,
  refuseResult,
  roundTo,
  SAFE_FLOAT32_INTERMEDIATE,
  scalar,
} from "./fused-step.js";

/** Per-group constants of one step. */
export interface GroupStep {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  momentum: number;
  epsilon: number;
  weightDecay: number;
  biasCorrection1: number;
  biasCorrection2: number;
  lrAdam: number;
  lrSgd: number;
}

/** The clipping factor and the blend weight of one step. */
export interface Blend {
  c: number;
  w: number;
  oneMinusW: number;
}

/** The arrays of one tensor's step. */
export interface A2SArrays {
  p: FloatArray;
  g: FloatArray;
  m: FloatArray;
  v: FloatArray;
  buf: FloatArray;
  prev: FloatArray;
}

function arraysOf(prepared: PreparedStep<FloatArray>, k: number): A2SArrays {
  const { param: p, grad: g } = prepared.inputs[k] as { param: FloatArray; grad: FloatArray };
  const own = prepared.state.slots[k] as Record<string, FloatArray>;
  return {
    p,
    g,
    m: own.m as FloatArray,
    v: own.v as FloatArray,
    buf: own.buf as FloatArray,
    prev: own.prev as FloatArray,
  };
}

/** Weight decay on the blended rate, as core's addBlendedWeightDecay: (wd·(w·lrA + (1 − w)·lrS))·p. */
export const decayRateOf = (s: GroupStep, b: Blend) =>
  s.weightDecay === 0 ? 0 : s.weightDecay * (b.w * s.lrAdam + b.oneMinusW * s.lrSgd);

/** Where one tensor's pass 2 writes: the arrays it reads (in place), or others of their lengths. */
export interface A2STargets {
  p: FloatArray;
  m: FloatArray;
  v: FloatArray;
  buf: FloatArray;
  prev: FloatArray;
}

/**
 * One tensor's pass 2, from `source` into `target` (the same arrays to update in place;
 * new ones for a framework whose buffers must not change, such as tfjs's). The hot loop:
 * no branch inside it (the common case, no clipping and no decay, has a loop of its own
 * without their arithmetic). Each element is read before it is written, so the target
 * may be the source.
 */
export function writeA2S(source: Omit<A2SArrays, "prev">, target: A2STargets, s: GroupStep, b: Blend): void {
  const { p, g, m, v, buf } = source;
  const { p: pOut, m: mOut, v: vOut, buf: bufOut, prev: prevOut } = target;
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, momentum, epsilon } = s;
  const { biasCorrection1: bc1, biasCorrection2: bc2, lrAdam, lrSgd } = s;
  const { c, w, oneMinusW } = b;
  const decayRate = decayRateOf(s, b);
  const n = p.length;
  if (c === 1 && decayRate === 0) {
    for (let i = 0; i < n; i++) {
      const gi = g[i] as number;
      const mi = beta1 * (m[i] as number) + oneMinusBeta1 * gi;
      const vi = beta2 * (v[i] as number) + oneMinusBeta2 * (gi * gi);
      const adam = (lrAdam * (mi / bc1)) / (Math.sqrt(vi / bc2) + epsilon);
      const bi = momentum * (buf[i] as number) + gi;
      mOut[i] = mi;
      vOut[i] = vi;
      bufOut[i] = bi;
      prevOut[i] = gi;
      pOut[i] = (p[i] as number) - (w * adam + oneMinusW * (lrSgd * bi));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const gi = c * (g[i] as number);
    const pi = p[i] as number;
    const mi = beta1 * (m[i] as number) + oneMinusBeta1 * gi;
    const vi = beta2 * (v[i] as number) + oneMinusBeta2 * (gi * gi);
    const adam = (lrAdam * (mi / bc1)) / (Math.sqrt(vi / bc2) + epsilon);
    const bi = momentum * (buf[i] as number) + gi;
    mOut[i] = mi;
    vOut[i] = vi;
    bufOut[i] = bi;
    prevOut[i] = gi;
    pOut[i] = pi - (w * adam + oneMinusW * (lrSgd * bi) + decayRate * pi);
  }
}

/** Pass 2 computed without writing, for a step its bounds cannot prove finite: refuses the first non-finite result. */
export function checkA2S(prepared: PreparedStep<FloatArray>, k: number, s: GroupStep, b: Blend): void {
  const { p, g, m, v, buf } = arraysOf(prepared, k);
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, momentum, epsilon } = s;
  const { biasCorrection1: bc1, biasCorrection2: bc2, lrAdam, lrSgd } = s;
  const { c, w, oneMinusW } = b;
  const decayRate = decayRateOf(s, b);
  const dtype: FloatDType = p instanceof Float64Array ? "float64" : "float32";
  for (let i = 0; i < p.length; i++) {
    const gi = c * (g[i] as number);
    const pi = p[i] as number;
    const mi = beta1 * (m[i] as number) + oneMinusBeta1 * gi;
    const vi = beta2 * (v[i] as number) + oneMinusBeta2 * (gi * gi);
    const adam = (lrAdam * (mi / bc1)) / (Math.sqrt(vi / bc2) + epsilon);
    const bi = momentum * (buf[i] as number) + gi;
    const next = pi - (w * adam + oneMinusW * (lrSgd * bi) + decayRate * pi);
    // m and prev are finite whenever the gradients are; the others may overflow.
    if (!Number.isFinite(roundTo(dtype, vi))) refuseResult(prepared, k, "v", i, roundTo(dtype, vi));
    if (!Number.isFinite(roundTo(dtype, bi))) refuseResult(prepared, k, "buf", i, roundTo(dtype, bi));
    if (!Number.isFinite(roundTo(dtype, next))) refuseResult(prepared, k, "param", i, roundTo(dtype, next));
  }
}

/** One step's numbers for pass 2, and whether bounds proved its results finite. */
export interface A2SPlan {
  /** Each tensor's group constants, in tensor order. */
  readonly steps: readonly GroupStep[];
  readonly blend: Blend;
  /** Every result is finite when computed with float64 intermediates (the JavaScript loops). */
  readonly safe: boolean;
  /** ... and with float32 intermediates (the WebAssembly kernels): every intermediate far below the largest float32. */
  readonly safeInFloat32: boolean;
}

/** Where a fused A2S step's passes run. */
export interface A2SPasses {
  /**
   * Pass 1 over every tensor: Σg², Σ(g − prev)², Σg·prev, Σprev² and, with weight decay, Σp².
   * @throws NonFiniteGradientError at the first non-finite gradient element.
   */
  sums(prepared: PreparedStep<FloatArray>, withDecay: boolean): GradientSums;
  /** Σ (c·g − prev)² for a step whose clipping factor `c` is not 1. */
  clippedDifferenceSquares(prepared: PreparedStep<FloatArray>, c: number): number;
  /** Pass 2: writes only results proven finite, or checked first (refusing the step otherwise). */
  write(prepared: PreparedStep<FloatArray>, plan: A2SPlan): void;
}

/** The passes as JavaScript loops over the step's own arrays. */
export const JS_A2S_PASSES: A2SPasses = {
  sums: (prepared, withDecay) => gradientSums(prepared, true, withDecay),
  clippedDifferenceSquares,
  write(prepared, { steps, blend, safe }) {
    // Writes only once every result is known finite: proven by the bounds, or else checked by a pass that writes nothing.
    if (!safe) {
      steps.forEach((s, k) => {
        checkA2S(prepared, k, s, blend);
      });
    }
    steps.forEach((s, k) => {
      const arrays = arraysOf(prepared, k);
      writeA2S(arrays, arrays, s, blend);
    });
  },
};

/** The automatic switch runs on the generic kernel (its decision needs this step's Adam step in a reduction). */
export const a2sFusable = (algorithm: Algorithm): boolean => algorithm.optionSet.values.switchIter !== "auto";

/** One A2S step in place through `passes`; yields its global sums (see {@link FusedStep}). */
export function* a2sStep(
  engine: Engine<FloatArray>,
  prepared: PreparedStep<FloatArray>,
  passes: A2SPasses,
): FusedStep {
  const set = engine.algorithm.optionSet;
  const { t } = prepared;
  const clipNorm = set.values.clipNorm as number;
  const curvatureK = set.values.curvatureK as number;
  const groups = [...new Set(prepared.tensors.map((info) => info.group))];
  const decays = groups.map((g) => optionValueAt(set, "weightDecay", g, t, "nonNegative"));
  const withDecay = decays.some((d) => d > 0);

  const sums = passes.sums(prepared, withDecay);
  const { factor: c, norm } = yield* clipping(clipNorm, sums.gradSquares);
  const local =
    c === 1
      ? sums.differenceSquares
      : (clippedDifferenceFromSums(prepared, sums, c) ?? passes.clippedDifferenceSquares(prepared, c));
  const differenceSquares = (yield Float64Array.of(local))[0] as number;
  const curvature = t === 1 ? 0 : Math.sqrt(differenceSquares);
  const lrScale = curvatureK === 0 ? 1 : 1 / (1 + curvatureK * curvature);
  const w = blendWeightAt(set, t);
  const blend: Blend = { c, w, oneMinusW: 1 - w };

  const byGroup = new Map<number, GroupStep>();
  for (const g of groups) {
    const beta1 = optionValueAt(set, "beta1", g, t, "unitInterval");
    const beta2 = optionValueAt(set, "beta2", g, t, "unitInterval");
    byGroup.set(g, {
      beta1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      momentum: optionValueAt(set, "momentum", g, t, "unitInterval"),
      epsilon: optionValueAt(set, "epsilon", g, t, "epsilon"),
      weightDecay: optionValueAt(set, "weightDecay", g, t, "nonNegative"),
      biasCorrection1: 1 - beta1 ** t,
      biasCorrection2: 1 - beta2 ** t,
      lrAdam: optionValueAt(set, "lrAdam", g, t, "nonNegative") * lrScale,
      lrSgd: optionValueAt(set, "lrSgd", g, t, "nonNegative") * lrScale,
    });
  }
  const top = {
    lrAdam: optionValueAt(set, "lrAdam", 0, t, "nonNegative") * lrScale,
    lrSgd: optionValueAt(set, "lrSgd", 0, t, "nonNegative") * lrScale,
  };

  // Bounds of this step's results (see fused-step.ts).
  const steps = [...byGroup.values()];
  const max = (f: (s: GroupStep) => number) => Math.max(...steps.map(f));
  const min = (f: (s: GroupStep) => number) => Math.min(...steps.map(f));
  const g2 = c * c * sums.gradSquares;
  const gradBound = Math.sqrt(g2);
  const before = boundsOf(prepared);
  const after = {
    m: Math.max(before.m, gradBound),
    v: Math.max(before.v, g2),
    buf: max((s) => s.momentum) * before.buf + gradBound,
  };
  const adamBound = after.m / min((s) => s.biasCorrection1) / min((s) => s.epsilon);
  const paramBound = withDecay ? Math.sqrt(sums.paramSquares) : 0;
  const decay = max((s) => decayRateOf(s, blend)) * paramBound;
  const change = w * max((s) => s.lrAdam) * adamBound + (1 - w) * max((s) => s.lrSgd) * after.buf + decay;
  const guard = {
    state: [after.v, after.buf],
    intermediates: [adamBound, after.v / min((s) => s.biasCorrection2), decay],
    param: withDecay ? paramBound + change : change,
    paramIsAbsolute: withDecay,
  };
  // The kernels fold the rates per group (w·lrA/bc1, 1/bc2, (1 − w)·lrS, the decay rate)
  // and multiply state by them in float32.
  const adamRate = max((s) => (w * s.lrAdam) / s.biasCorrection1);
  const invBc2 = 1 / min((s) => s.biasCorrection2);
  const float32 = [adamRate, invBc2, max((s) => (1 - w) * s.lrSgd), max((s) => decayRateOf(s, blend))];
  const plan: A2SPlan = {
    steps: prepared.tensors.map((info) => byGroup.get(info.group) as GroupStep),
    blend,
    safe: provablyFinite(largestOf(prepared), guard),
    safeInFloat32:
      Math.fround(c) > 0 &&
      provablyFinite(
        LARGEST.float32,
        {
          ...guard,
          intermediates: [...guard.intermediates, ...float32, adamRate * after.m, after.v * invBc2],
        },
        SAFE_FLOAT32_INTERMEDIATE,
      ),
  };
  passes.write(prepared, plan);
  keepBounds(prepared, after);

  const published = new Map<string, FloatArray>([
    ["clipFactor", scalar(c)],
    ["curvature", scalar(curvature)],
    ["lrScale", scalar(lrScale)],
    ["w", scalar(w)],
    ["oneMinusW", scalar(1 - w)],
    ["lrAdam", scalar(top.lrAdam)],
    ["lrSgd", scalar(top.lrSgd)],
  ]);
  if (norm !== undefined) published.set("gradientNorm", scalar(norm));
  return published;
}

export const fusedA2S: FusedKernel = {
  supports: a2sFusable,
  step: (engine, prepared) => a2sStep(engine, prepared, JS_A2S_PASSES),
};
