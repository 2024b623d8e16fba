/**
 * A2S in two passes: the first over the gradients (clipping norm, curvature, finiteness),
 * the second updating parameter, moments, buffer and previous gradient in one loop per
 * tensor. Intermediates stay in float64 and are rounded once, when stored, in the
 * operation order of core's transforms (the seed's), so float64 results equal the
 * generic kernel's.
 */
import { blendWeightAt, type FloatArray, type FloatDType, optionValueAt, type PreparedStep } from "@a2s/core";
import {
  boundsOf,
  clippedDifferenceSquares,
  clipping,
  type FusedKernel,
  gradientSums,
  keepBounds,
  largestOf,
  provablyFinite,
  refuseResult,
  roundTo,
  scalar,
} from "./fused-step.js";

/** Per-group constants of one step. */
interface GroupStep {
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

interface Blend {
  c: number;
  w: number;
  oneMinusW: number;
}

/** The arrays of one tensor's step. */
interface Arrays {
  p: FloatArray;
  g: FloatArray;
  m: FloatArray;
  v: FloatArray;
  buf: FloatArray;
  prev: FloatArray;
}

function arraysOf(prepared: PreparedStep<FloatArray>, k: number): Arrays {
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
const decayRateOf = (s: GroupStep, b: Blend) =>
  s.weightDecay === 0 ? 0 : s.weightDecay * (b.w * s.lrAdam + b.oneMinusW * s.lrSgd);

/**
 * One tensor's pass 2. The hot loop: no branch inside it (the common case, no clipping
 * and no decay, has a loop of its own without their arithmetic).
 */
function writeA2S({ p, g, m, v, buf, prev }: Arrays, s: GroupStep, b: Blend): void {
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
      m[i] = mi;
      v[i] = vi;
      buf[i] = bi;
      prev[i] = gi;
      p[i] = (p[i] as number) - (w * adam + oneMinusW * (lrSgd * bi));
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
    m[i] = mi;
    v[i] = vi;
    buf[i] = bi;
    prev[i] = gi;
    p[i] = pi - (w * adam + oneMinusW * (lrSgd * bi) + decayRate * pi);
  }
}

/** Pass 2 computed without writing, for a step its bounds cannot prove finite: refuses the first non-finite result. */
function checkA2S(prepared: PreparedStep<FloatArray>, k: number, s: GroupStep, b: Blend): void {
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

export const fusedA2S: FusedKernel = {
  // The automatic switch runs on the generic kernel (its decision needs this step's Adam step in a reduction).
  supports: (algorithm) => algorithm.optionSet.values.switchIter !== "auto",
  *step(engine, prepared) {
    const set = engine.algorithm.optionSet;
    const { t } = prepared;
    const clipNorm = set.values.clipNorm as number;
    const curvatureK = set.values.curvatureK as number;
    const groups = [...new Set(prepared.tensors.map((info) => info.group))];
    const decays = groups.map((g) => optionValueAt(set, "weightDecay", g, t, "nonNegative"));
    const withDecay = decays.some((d) => d > 0);

    const sums = gradientSums(prepared, true, withDecay);
    const { factor: c, norm } = yield* clipping(clipNorm, sums.gradSquares);
    const local = c === 1 ? sums.differenceSquares : clippedDifferenceSquares(prepared, c);
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
    const decay = max((s) => s.weightDecay * (w * s.lrAdam + (1 - w) * s.lrSgd)) * paramBound;
    const change = w * max((s) => s.lrAdam) * adamBound + (1 - w) * max((s) => s.lrSgd) * after.buf + decay;
    const safe = provablyFinite(largestOf(prepared), {
      state: [after.v, after.buf],
      intermediates: [adamBound, after.v / min((s) => s.biasCorrection2), decay],
      param: withDecay ? paramBound + change : change,
      paramIsAbsolute: withDecay,
    });
    // Writes only once every result is known finite: proven by the bounds, or else checked by a pass that writes nothing.
    if (!safe) {
      prepared.tensors.forEach((info, k) => {
        checkA2S(prepared, k, byGroup.get(info.group) as GroupStep, blend);
      });
    }
    prepared.tensors.forEach((info, k) => {
      writeA2S(arraysOf(prepared, k), byGroup.get(info.group) as GroupStep, blend);
    });
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
  },
};
