/**
 * Fused loops for the baselines, each in the operation order of core's transforms for
 * that algorithm (clipping, direction, decoupled weight decay, learning rate), keeping
 * intermediates in float64 and rounding once when storing.
 */
import { type Engine, type FloatArray, type FloatDType, optionValueAt, type PreparedStep } from "@a2s/core";
import {
  boundsOf,
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
  type StateBounds,
  scalar,
} from "./fused-step.js";

/** A baseline's per-group constants, learning rate and weight decay included. */
export type Constants<S> = S & { lr: number; weightDecay: number };

/** One baseline's per-group constants, the bounds of its step and its per-element update. */
export interface Baseline<S> {
  /** Per-group constants at step `t` (learning rate included). */
  constants(set: Parameters<typeof optionValueAt>[0], group: number, t: number): Constants<S>;
  /** Bounds after the step and the bound on the step's direction, from the bounds before it. */
  bounds(
    before: StateBounds,
    gradBound: number,
    steps: readonly Constants<S>[],
  ): {
    after: StateBounds;
    state: number[];
    intermediates?: number[];
    /** Bounds on what the WebAssembly kernels compute in float32 beyond the rest: their folded constants, their products with state. */
    float32: number[];
    direction: number;
  };
  /** One tensor's update; with `write` false it only checks that every result is finite. */
  apply(prepared: PreparedStep<FloatArray>, k: number, s: Constants<S>, c: number, write: boolean): void;
}

/** One step's numbers for pass 2, and whether bounds proved its results finite. */
export interface BaselinePlan<S> {
  /** Each tensor's group constants, in tensor order. */
  readonly steps: readonly Constants<S>[];
  /** The clipping factor. */
  readonly c: number;
  /** Every result is finite when computed with float64 intermediates (the JavaScript loops). */
  readonly safe: boolean;
  /** ... and with float32 intermediates (the WebAssembly kernels). */
  readonly safeInFloat32: boolean;
}

/** Where a baseline's passes run. */
export interface BaselinePasses<S> {
  /**
   * Pass 1 over every tensor: Σg² and, with weight decay, Σp².
   * @throws NonFiniteGradientError at the first non-finite gradient element.
   */
  sums(prepared: PreparedStep<FloatArray>, withDecay: boolean): GradientSums;
  /** Pass 2: writes only results proven finite, or checked first (refusing the step otherwise). */
  write(prepared: PreparedStep<FloatArray>, plan: BaselinePlan<S>): void;
}

/** The passes as JavaScript loops over the step's own arrays. */
export function jsBaselinePasses<S>(baseline: Baseline<S>): BaselinePasses<S> {
  return {
    sums: (prepared, withDecay) => gradientSums(prepared, false, withDecay),
    write(prepared, { steps, c, safe }) {
      // Writes only once every result is known finite: checked by bounds, or else by a pass that writes nothing.
      for (const write of safe ? [true] : [false, true]) {
        steps.forEach((s, k) => {
          baseline.apply(prepared, k, s, c, write);
        });
      }
    },
  };
}

/** One step of `baseline` in place through `passes`; yields its global sums (see {@link FusedStep}). */
export function* baselineStep<S>(
  engine: Engine<FloatArray>,
  prepared: PreparedStep<FloatArray>,
  baseline: Baseline<S>,
  passes: BaselinePasses<S>,
): FusedStep {
  const set = engine.algorithm.optionSet;
  const { t } = prepared;
  const groups = [...new Set(prepared.tensors.map((info) => info.group))];
  const byGroup = new Map(groups.map((g) => [g, baseline.constants(set, g, t)]));
  const steps = [...byGroup.values()];
  const withDecay = steps.some((s) => s.weightDecay > 0);
  const sums = passes.sums(prepared, withDecay);
  const { factor: c, norm } = yield* clipping(set.values.clipNorm as number, sums.gradSquares);

  const gradBound = c * Math.sqrt(sums.gradSquares);
  const {
    after,
    state,
    intermediates = [],
    float32,
    direction,
  } = baseline.bounds(boundsOf(prepared), gradBound, steps);
  const paramBound = withDecay ? Math.sqrt(sums.paramSquares) : 0;
  const decay = Math.max(...steps.map((s) => s.weightDecay)) * paramBound;
  const change = Math.max(...steps.map((s) => s.lr)) * (direction + decay);
  const guard = {
    state,
    intermediates: [...intermediates, direction, decay],
    param: withDecay ? paramBound + change : change,
    paramIsAbsolute: withDecay,
  };
  passes.write(prepared, {
    steps: prepared.tensors.map((info) => byGroup.get(info.group) as Constants<S>),
    c,
    safe: provablyFinite(largestOf(prepared), guard),
    safeInFloat32:
      Math.fround(c) > 0 &&
      provablyFinite(
        LARGEST.float32,
        { ...guard, intermediates: [...guard.intermediates, ...float32] },
        SAFE_FLOAT32_INTERMEDIATE,
      ),
  });
  keepBounds(prepared, after);
  const published = new Map<string, FloatArray>([
    ["clipFactor", scalar(c)],
    ["learningRate", scalar(baseline.constants(set, 0, t).lr)],
  ]);
  if (norm !== undefined) published.set("gradientNorm", scalar(norm));
  return published;
}

function fused<S>(baseline: Baseline<S>): FusedKernel {
  const passes = jsBaselinePasses(baseline);
  return { step: (engine, prepared) => baselineStep(engine, prepared, baseline, passes) };
}

const dtypeOfArray = (p: FloatArray): FloatDType => (p instanceof Float64Array ? "float64" : "float32");

function arrays(prepared: PreparedStep<FloatArray>, k: number) {
  const { param, grad } = prepared.inputs[k] as { param: FloatArray; grad: FloatArray };
  return { p: param, g: grad, own: prepared.state.slots[k] as Record<string, FloatArray> };
}

function checked(
  prepared: PreparedStep<FloatArray>,
  k: number,
  dtype: FloatDType,
  slot: string,
  i: number,
  x: number,
): void {
  const stored = roundTo(dtype, x);
  if (!Number.isFinite(stored)) refuseResult(prepared, k, slot, i, stored);
}

/** Adam: `p −= lr·m̂/(√v̂ + ε) + lr·(wd·p)`. */
export const ADAM: Baseline<{ beta1: number; beta2: number; epsilon: number; bc1: number; bc2: number }> = {
  constants(set, g, t) {
    const beta1 = optionValueAt(set, "beta1", g, t, "unitInterval");
    const beta2 = optionValueAt(set, "beta2", g, t, "unitInterval");
    return {
      beta1,
      beta2,
      epsilon: optionValueAt(set, "epsilon", g, t, "epsilon"),
      bc1: 1 - beta1 ** t,
      bc2: 1 - beta2 ** t,
      lr: optionValueAt(set, "learningRate", g, t, "nonNegative"),
      weightDecay: optionValueAt(set, "weightDecay", g, t, "nonNegative"),
    };
  },
  bounds(before, gradBound, steps) {
    const after = {
      ...before,
      m: Math.max(before.m, gradBound),
      v: Math.max(before.v, gradBound * gradBound),
    };
    const direction =
      after.m / Math.min(...steps.map((s) => s.bc1)) / Math.min(...steps.map((s) => s.epsilon));
    const vHat = after.v / Math.min(...steps.map((s) => s.bc2));
    // The kernels fold lr/bc1, 1/bc2 and lr·wd, and multiply m by the first.
    const rate = Math.max(...steps.map((s) => s.lr / s.bc1));
    const float32 = [
      rate,
      1 / Math.min(...steps.map((s) => s.bc2)),
      Math.max(...steps.map((s) => s.lr * s.weightDecay)),
      rate * after.m,
    ];
    return { after, state: [after.v], intermediates: [vHat], float32, direction };
  },
  apply(prepared, k, s, c, write) {
    const { p, g, own } = arrays(prepared, k);
    const m = own.m as FloatArray;
    const v = own.v as FloatArray;
    const { beta1, beta2, epsilon, bc1, bc2, lr, weightDecay } = s;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    const dtype = dtypeOfArray(p);
    for (let i = 0; i < p.length; i++) {
      const gi = c * (g[i] as number);
      const pi = p[i] as number;
      const mi = beta1 * (m[i] as number) + oneMinusBeta1 * gi;
      const vi = beta2 * (v[i] as number) + oneMinusBeta2 * (gi * gi);
      let step = (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + epsilon);
      if (weightDecay !== 0) step += lr * (weightDecay * pi);
      const next = pi - step;
      if (write) {
        m[i] = mi;
        v[i] = vi;
        p[i] = next;
      } else {
        checked(prepared, k, dtype, "v", i, vi);
        checked(prepared, k, dtype, "param", i, next);
      }
    }
  },
};

/** RMSProp: `p −= lr·g/(√v + ε) + lr·(wd·p)`. */
export const RMSPROP: Baseline<{ decay: number; epsilon: number }> = {
  constants(set, g, t) {
    return {
      decay: optionValueAt(set, "decay", g, t, "unitInterval"),
      epsilon: optionValueAt(set, "epsilon", g, t, "epsilon"),
      lr: optionValueAt(set, "learningRate", g, t, "nonNegative"),
      weightDecay: optionValueAt(set, "weightDecay", g, t, "nonNegative"),
    };
  },
  bounds(before, gradBound, steps) {
    const after = { ...before, v: Math.max(before.v, gradBound * gradBound) };
    const lr = Math.max(...steps.map((s) => s.lr));
    // The kernels fold lr and lr·wd, and multiply g by the first.
    const float32 = [lr, Math.max(...steps.map((s) => s.lr * s.weightDecay)), lr * gradBound];
    return {
      after,
      state: [after.v],
      float32,
      direction: gradBound / Math.min(...steps.map((s) => s.epsilon)),
    };
  },
  apply(prepared, k, s, c, write) {
    const { p, g, own } = arrays(prepared, k);
    const v = own.v as FloatArray;
    const { decay, epsilon, lr, weightDecay } = s;
    const oneMinusDecay = 1 - decay;
    const dtype = dtypeOfArray(p);
    for (let i = 0; i < p.length; i++) {
      const gi = c * (g[i] as number);
      const pi = p[i] as number;
      const vi = decay * (v[i] as number) + oneMinusDecay * (gi * gi);
      let step = (lr * gi) / (Math.sqrt(vi) + epsilon);
      if (weightDecay !== 0) step += lr * (weightDecay * pi);
      const next = pi - step;
      if (write) {
        v[i] = vi;
        p[i] = next;
      } else {
        checked(prepared, k, dtype, "v", i, vi);
        checked(prepared, k, dtype, "param", i, next);
      }
    }
  },
};

/** SGD with momentum in the seed's form: `buf = momentum·buf + g`, `p −= lr·(buf + wd·p)`. */
export const SGD_MOMENTUM: Baseline<{ momentum: number }> = {
  constants(set, g, t) {
    return {
      momentum: optionValueAt(set, "momentum", g, t, "unitInterval"),
      lr: optionValueAt(set, "learningRate", g, t, "nonNegative"),
      weightDecay: optionValueAt(set, "weightDecay", g, t, "nonNegative"),
    };
  },
  bounds(before, gradBound, steps) {
    const buf = Math.max(...steps.map((s) => s.momentum)) * before.buf + gradBound;
    // The kernels fold lr and lr·wd; lr·buf is bounded with the change.
    const float32 = [
      Math.max(...steps.map((s) => s.lr)),
      Math.max(...steps.map((s) => s.lr * s.weightDecay)),
    ];
    return { after: { ...before, buf }, state: [buf], float32, direction: buf };
  },
  apply(prepared, k, s, c, write) {
    const { p, g, own } = arrays(prepared, k);
    const buf = own.buf as FloatArray;
    const { momentum, lr, weightDecay } = s;
    const dtype = dtypeOfArray(p);
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] as number;
      const bi = momentum * (buf[i] as number) + c * (g[i] as number);
      const direction = weightDecay !== 0 ? bi + weightDecay * pi : bi;
      const next = pi - lr * direction;
      if (write) {
        buf[i] = bi;
        p[i] = next;
      } else {
        checked(prepared, k, dtype, "buf", i, bi);
        checked(prepared, k, dtype, "param", i, next);
      }
    }
  },
};

export const fusedAdam = fused(ADAM);
export const fusedRMSProp = fused(RMSPROP);
export const fusedSGDMomentum = fused(SGD_MOMENTUM);
