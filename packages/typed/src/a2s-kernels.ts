/**
 * The two ways this package computes an A2S step. Both check every gradient before
 * changing anything and return the step's scalars for the diagnostics.
 */
import { type A2SOptions, a2sUpdate, checkFinite, type FloatArray, type StepSchedule } from "@a2s/core";
import type { StepTensor } from "./host-optimizer.js";
import { typedArrayOps } from "./typed-ops.js";

/** The data-dependent scalars of one step, as host numbers. */
export interface A2SStepScalars {
  curvature: number;
  lrScale: number;
  lrAdamEff: number;
  lrSgdEff: number;
}

function checkAllFinite(tensors: readonly StepTensor[]): void {
  for (const { name, grad } of tensors) checkFinite(name, grad);
}

/**
 * Pass 1 of the fused kernel: the norm of `g - prev` over all tensors, accumulated in
 * float64. It reads each gradient once, and the same read finds non-finite values: any
 * NaN or ±Infinity makes the sum non-finite, and only then are the gradients searched
 * for the culprit. (A sum that overflows from finite values is no error: the curvature
 * is then Infinity and the scale 0, as in the generic path.)
 */
function gradientDifferenceNorm(tensors: readonly StepTensor[]): number {
  let sum = 0;
  for (const { grad, slots } of tensors) {
    const prev = slots.prev as FloatArray;
    // Per-tensor partial sums, added in tensor order: the generic path's association,
    // so both kernels give the same float64 curvature.
    let part = 0;
    for (let i = 0; i < grad.length; i++) {
      const d = (grad[i] as number) - (prev[i] as number);
      part += d * d;
    }
    sum += part;
  }
  if (sum - sum !== 0) checkAllFinite(tensors);
  return Math.sqrt(sum);
}

/**
 * Pass 2 for one tensor: moments, momentum buffer, blended step and the copy of the
 * gradient into `prev`, in one loop. Intermediates stay in float64 and are rounded once,
 * when stored; the operation order is core's `a2sUpdate`, so float64 results are equal.
 */
function applyA2S(
  tensor: StepTensor,
  o: Readonly<A2SOptions>,
  s: StepSchedule,
  lrAdamEff: number,
  lrSgdEff: number,
): void {
  const { param: p, grad: g } = tensor;
  const m = tensor.slots.m as FloatArray;
  const v = tensor.slots.v as FloatArray;
  const buf = tensor.slots.buf as FloatArray;
  const prev = tensor.slots.prev as FloatArray;
  const { beta1, beta2, momentum, epsilon } = o;
  const oneMinusBeta1 = 1 - beta1;
  const oneMinusBeta2 = 1 - beta2;
  const { w, oneMinusW, biasCorrection1: bc1, biasCorrection2: bc2 } = s;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] as number;
    const mi = beta1 * (m[i] as number) + oneMinusBeta1 * gi;
    const vi = beta2 * (v[i] as number) + oneMinusBeta2 * (gi * gi);
    const adamStep = (lrAdamEff * (mi / bc1)) / (Math.sqrt(vi / bc2) + epsilon);
    const bi = momentum * (buf[i] as number) + gi;
    const delta = w * adamStep + oneMinusW * (lrSgdEff * bi);
    m[i] = mi;
    v[i] = vi;
    buf[i] = bi;
    prev[i] = gi;
    p[i] = (p[i] as number) - delta;
  }
}

/** The fused kernel: two passes over the arrays, no allocation. */
export function fusedA2SStep(
  options: Readonly<A2SOptions>,
  schedule: StepSchedule,
  tensors: readonly StepTensor[],
): A2SStepScalars {
  let curvature = 0;
  if (schedule.t === 1) checkAllFinite(tensors);
  else curvature = gradientDifferenceNorm(tensors);
  const lrScale = options.curvatureK === 0 ? 1 : 1 / (1 + options.curvatureK * curvature);
  const lrAdamEff = options.lrAdam * lrScale;
  const lrSgdEff = options.lrSgd * lrScale;
  for (const tensor of tensors) applyA2S(tensor, options, schedule, lrAdamEff, lrSgdEff);
  return { curvature, lrScale, lrAdamEff, lrSgdEff };
}

/** The generic kernel: core's `a2sUpdate` over typed arrays, then the results copied in. */
export function genericA2SStep(
  options: Readonly<A2SOptions>,
  schedule: StepSchedule,
  tensors: readonly StepTensor[],
): A2SStepScalars {
  checkAllFinite(tensors);
  const result = a2sUpdate(
    typedArrayOps,
    options,
    schedule,
    tensors.map(({ param, grad, slots }) => ({
      param,
      grad,
      slots: {
        m: slots.m as FloatArray,
        v: slots.v as FloatArray,
        buf: slots.buf as FloatArray,
        prev: schedule.t === 1 ? undefined : (slots.prev as FloatArray),
      },
    })),
  );
  tensors.forEach(({ param, grad, slots }, i) => {
    const out = result.tensors[i] as (typeof result.tensors)[number];
    param.set(out.param);
    (slots.m as FloatArray).set(out.slots.m);
    (slots.v as FloatArray).set(out.slots.v);
    (slots.buf as FloatArray).set(out.slots.buf);
    // A copy, never the caller's buffer, which the caller may reuse for the next gradient.
    (slots.prev as FloatArray).set(grad);
  });
  return {
    curvature: result.curvature[0] as number,
    lrScale: result.lrScale[0] as number,
    lrAdamEff: result.lrAdamEff[0] as number,
    lrSgdEff: result.lrSgdEff[0] as number,
  };
}
