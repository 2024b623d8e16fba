/** The host's per-step numbers that pass 2 takes, checked and folded into the kernels' constants. */
import { KernelInputError } from "./errors.js";

/** One A2S step's numbers for pass 2, as the host computed them (JavaScript doubles). */
export interface A2SScalars {
  /** The clip factor applied to the gradient: 1 when the step is not clipped. */
  clip: number;
  beta1: number;
  beta2: number;
  momentum: number;
  epsilon: number;
  /** `1 - beta1^t` at step count `t` (from 1). */
  biasCorrection1: number;
  /** `1 - beta2^t`. */
  biasCorrection2: number;
  /** Blend weight of the Adam branch (1 = Adam only, 0 = SGD with momentum only). */
  w: number;
  /** The Adam branch's learning rate for this step, curvature scaling included. */
  lrAdam: number;
  /** The SGD branch's learning rate for this step, curvature scaling included. */
  lrSgd: number;
  /** Decoupled weight decay (0 = none). */
  weightDecay: number;
}

/** One Adam step's numbers. */
export interface AdamScalars {
  /** The clip factor applied to the gradient: 1 when the step is not clipped. */
  clip: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  biasCorrection1: number;
  biasCorrection2: number;
  learningRate: number;
  weightDecay: number;
}

/** One RMSProp step's numbers. */
export interface RMSPropScalars {
  /** The clip factor applied to the gradient: 1 when the step is not clipped. */
  clip: number;
  /** How much of the mean square carries over: `v = decay·v + (1 − decay)·g²`. */
  decay: number;
  epsilon: number;
  learningRate: number;
  weightDecay: number;
}

/** One step's numbers of SGD with momentum (`buf = momentum·buf + g`). */
export interface SGDMomentumScalars {
  /** The clip factor applied to the gradient: 1 when the step is not clipped. */
  clip: number;
  momentum: number;
  learningRate: number;
  weightDecay: number;
}

type Range = readonly [low: number, high: number, lowOpen: boolean, highOpen: boolean];

const UNIT: Range = [0, 1, false, false];
const BETA: Range = [0, 1, false, true];
const CORRECTION: Range = [0, 1, true, false];
const POSITIVE: Range = [0, Number.POSITIVE_INFINITY, true, true];
const NON_NEGATIVE: Range = [0, Number.POSITIVE_INFINITY, false, true];

const A2S_RANGES: Record<keyof A2SScalars, Range> = {
  clip: CORRECTION,
  beta1: BETA,
  beta2: BETA,
  momentum: UNIT,
  epsilon: POSITIVE,
  biasCorrection1: CORRECTION,
  biasCorrection2: CORRECTION,
  w: UNIT,
  lrAdam: NON_NEGATIVE,
  lrSgd: NON_NEGATIVE,
  weightDecay: NON_NEGATIVE,
};

const ADAM_RANGES: Record<keyof AdamScalars, Range> = {
  clip: CORRECTION,
  beta1: BETA,
  beta2: BETA,
  epsilon: POSITIVE,
  biasCorrection1: CORRECTION,
  biasCorrection2: CORRECTION,
  learningRate: NON_NEGATIVE,
  weightDecay: NON_NEGATIVE,
};

const RMSPROP_RANGES: Record<keyof RMSPropScalars, Range> = {
  clip: CORRECTION,
  decay: BETA,
  epsilon: POSITIVE,
  learningRate: NON_NEGATIVE,
  weightDecay: NON_NEGATIVE,
};

const SGD_MOMENTUM_RANGES: Record<keyof SGDMomentumScalars, Range> = {
  clip: CORRECTION,
  momentum: UNIT,
  learningRate: NON_NEGATIVE,
  weightDecay: NON_NEGATIVE,
};

function check<T extends object>(what: string, scalars: T, ranges: Record<keyof T, Range>): void {
  for (const key of Object.keys(ranges) as (keyof T & string)[]) {
    const value = (scalars as Record<string, unknown>)[key];
    const [low, high, lowOpen, highOpen] = ranges[key];
    const inside =
      typeof value === "number" &&
      Number.isFinite(value) &&
      (lowOpen ? value > low : value >= low) &&
      (highOpen ? value < high : value <= high);
    if (!inside) {
      const interval = `${lowOpen ? "(" : "["}${low}, ${high === Number.POSITIVE_INFINITY ? "Infinity" : high}${highOpen ? ")" : "]"}`;
      throw new KernelInputError(
        `${what}.${key} must be a finite number in ${interval}, got ${String(value)}`,
      );
    }
  }
}

export function checkClip(clip: number): void {
  check("gradientStats", { clip }, { clip: CORRECTION });
}

/** A2S's pass 2 constants, folded in double and rounded once to float32 by the call. */
export function foldA2S(s: Readonly<A2SScalars>) {
  check("A2SScalars", s, A2S_RANGES);
  const oneMinusW = 1 - s.w;
  return {
    clip: s.clip,
    beta1: s.beta1,
    oneMinusBeta1: 1 - s.beta1,
    beta2: s.beta2,
    oneMinusBeta2: 1 - s.beta2,
    momentum: s.momentum,
    epsilon: s.epsilon,
    adamRate: (s.w * s.lrAdam) / s.biasCorrection1,
    invBc2: 1 / s.biasCorrection2,
    sgdRate: oneMinusW * s.lrSgd,
    decayRate: (s.w * s.lrAdam + oneMinusW * s.lrSgd) * s.weightDecay,
  };
}

export function foldAdam(s: Readonly<AdamScalars>) {
  check("AdamScalars", s, ADAM_RANGES);
  return {
    clip: s.clip,
    beta1: s.beta1,
    oneMinusBeta1: 1 - s.beta1,
    beta2: s.beta2,
    oneMinusBeta2: 1 - s.beta2,
    epsilon: s.epsilon,
    rate: s.learningRate / s.biasCorrection1,
    invBc2: 1 / s.biasCorrection2,
    decayRate: s.learningRate * s.weightDecay,
  };
}

export function foldRMSProp(s: Readonly<RMSPropScalars>) {
  check("RMSPropScalars", s, RMSPROP_RANGES);
  return {
    clip: s.clip,
    decay: s.decay,
    oneMinusDecay: 1 - s.decay,
    epsilon: s.epsilon,
    rate: s.learningRate,
    decayRate: s.learningRate * s.weightDecay,
  };
}

export function foldSGDMomentum(s: Readonly<SGDMomentumScalars>) {
  check("SGDMomentumScalars", s, SGD_MOMENTUM_RANGES);
  return {
    clip: s.clip,
    momentum: s.momentum,
    rate: s.learningRate,
    decayRate: s.learningRate * s.weightDecay,
  };
}
