import { type ArrayOps, stepScalar } from "./ops.js";
import type { A2SOptions } from "./options.js";
import type { StepSchedule } from "./schedule.js";

/** Per-tensor state of A2S. */
export interface A2SSlots<T> {
  /** Adam's first moment. */
  m: T;
  /** Adam's second moment. */
  v: T;
  /** Momentum buffer of the SGD component. */
  buf: T;
  /** Raw gradient of the previous step; `undefined` before the first step. */
  prev: T | undefined;
}

/** Slot names of A2S in checkpoint order. */
export const A2S_SLOT_NAMES = ["m", "v", "buf", "prev"] as const;

export interface A2SUpdateInput<T> {
  param: T;
  grad: T;
  slots: A2SSlots<T>;
}

export interface A2SUpdateOutput<T> {
  param: T;
  slots: { m: T; v: T; buf: T; prev: T };
}

export interface A2SUpdateResult<T> {
  /** New parameter and slots per input tensor, in input order. */
  tensors: A2SUpdateOutput<T>[];
  /** L2 norm of `g_t - g_{t-1}` over all tensors together; 0 on the first step. */
  curvature: T;
  /** `1 / (1 + curvatureK * curvature)`. */
  lrScale: T;
  /** `lrAdam * lrScale`. */
  lrAdamEff: T;
  /** `lrSgd * lrScale`. */
  lrSgdEff: T;
}

/**
 * One A2S step over all tensors, as pure data flow: nothing is mutated, so an adapter
 * commits the results only once the whole step has been computed (all or nothing).
 *
 * The order of the floating-point operations follows the seed's formulas term by term,
 * so a float64 backend reproduces the seed to rounding.
 */
export function a2sUpdate<T>(
  ops: ArrayOps<T>,
  options: Readonly<A2SOptions>,
  schedule: StepSchedule,
  inputs: readonly A2SUpdateInput<T>[],
): A2SUpdateResult<T> {
  const first = inputs[0];
  if (first === undefined) throw new RangeError("a2sUpdate needs at least one tensor");
  const like = first.grad;

  // Curvature: a data-dependent scalar, kept as a T (no read-back). The first step has
  // no previous gradient; the seed defines the curvature there as 0.
  const isFirstStep = inputs.some((input) => input.slots.prev === undefined);
  let curvature: T;
  if (isFirstStep) {
    curvature = ops.scalar(0, like);
  } else {
    let sum: T | undefined;
    for (const { grad, slots } of inputs) {
      const part = ops.sumSquares(ops.sub(grad, slots.prev as T));
      sum = sum === undefined ? part : ops.add(sum, part);
    }
    curvature = ops.sqrt(sum as T);
  }
  // With curvatureK = 0 the scale is exactly 1; skipping the arithmetic also keeps an
  // overflowing curvature (Infinity * 0) from turning the scale into NaN.
  const one = ops.scalar(1, like);
  const lrScale =
    options.curvatureK === 0
      ? one
      : ops.div(one, ops.add(one, ops.mul(ops.scalar(options.curvatureK, like), curvature)));
  const lrAdamEff = ops.mul(ops.scalar(options.lrAdam, like), lrScale);
  const lrSgdEff = ops.mul(ops.scalar(options.lrSgd, like), lrScale);

  const beta1 = ops.scalar(options.beta1, like);
  const oneMinusBeta1 = ops.scalar(1 - options.beta1, like);
  const beta2 = ops.scalar(options.beta2, like);
  const oneMinusBeta2 = ops.scalar(1 - options.beta2, like);
  const momentum = ops.scalar(options.momentum, like);
  const epsilon = ops.scalar(options.epsilon, like);
  const w = stepScalar(ops, "w", schedule.w, like);
  const oneMinusW = stepScalar(ops, "oneMinusW", schedule.oneMinusW, like);
  const bc1 = stepScalar(ops, "biasCorrection1", schedule.biasCorrection1, like);
  const bc2 = stepScalar(ops, "biasCorrection2", schedule.biasCorrection2, like);

  const tensors = inputs.map(({ param, grad, slots }) => {
    // Moments and the momentum buffer advance on every step, whatever w is.
    const m = ops.add(ops.mul(beta1, slots.m), ops.mul(oneMinusBeta1, grad));
    const v = ops.add(ops.mul(beta2, slots.v), ops.mul(oneMinusBeta2, ops.mul(grad, grad)));
    const mHat = ops.div(m, bc1);
    const vHat = ops.div(v, bc2);
    const adamStep = ops.div(ops.mul(lrAdamEff, mHat), ops.add(ops.sqrt(vHat), epsilon));
    const buf = ops.add(ops.mul(momentum, slots.buf), grad);
    const sgdStep = ops.mul(lrSgdEff, buf);
    const delta = ops.add(ops.mul(w, adamStep), ops.mul(oneMinusW, sgdStep));
    return { param: ops.sub(param, delta), slots: { m, v, buf, prev: grad } };
  });
  return { tensors, curvature, lrScale, lrAdamEff, lrSgdEff };
}
