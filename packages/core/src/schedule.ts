import type { A2SOptions } from "./options.js";

/**
 * Blend weight at step `t` (counted from 1): 1 is pure Adam, 0 pure SGD with momentum.
 * Computed on the host in float64, as the seed does.
 */
export function blendWeight(t: number, switchIter: number, blendIters: number): number {
  if (t <= switchIter) return 1;
  if (t >= switchIter + blendIters) return 0;
  return 1 - (t - switchIter) / blendIters;
}

/** Everything about step `t` that depends only on `t` and the options. */
export interface StepSchedule {
  /** Step count, from 1. */
  readonly t: number;
  /** Blend weight `w(t)`. */
  readonly w: number;
  /** `1 - w`, computed once on the host so every backend uses the same float64 value. */
  readonly oneMinusW: number;
  /** `1 - beta1^t`. */
  readonly biasCorrection1: number;
  /** `1 - beta2^t`. */
  readonly biasCorrection2: number;
}

export function a2sSchedule(t: number, options: Readonly<A2SOptions>): StepSchedule {
  const w = blendWeight(t, options.switchIter, options.blendIters);
  return {
    t,
    w,
    oneMinusW: 1 - w,
    biasCorrection1: 1 - options.beta1 ** t,
    biasCorrection2: 1 - options.beta2 ** t,
  };
}
