/**
 * Fused loops for the baselines. Each follows the operation order of core's
 * `adamUpdate` / `rmspropUpdate` / `sgdMomentumUpdate` (the generic path), keeping
 * intermediates in float64 and rounding once when storing.
 */
import type { AdamOptions, FloatArray, RMSPropOptions, SGDMomentumOptions } from "@a2s/core";
import type { StepTensor } from "./host-optimizer.js";

export function fusedAdam(o: Readonly<AdamOptions>, t: number, tensor: StepTensor): void {
  const { param: p, grad: g } = tensor;
  const m = tensor.slots.m as FloatArray;
  const v = tensor.slots.v as FloatArray;
  const { learningRate, beta1, beta2, epsilon } = o;
  const oneMinusBeta1 = 1 - beta1;
  const oneMinusBeta2 = 1 - beta2;
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] as number;
    const mi = beta1 * (m[i] as number) + oneMinusBeta1 * gi;
    const vi = beta2 * (v[i] as number) + oneMinusBeta2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = (p[i] as number) - (learningRate * (mi / bc1)) / (Math.sqrt(vi / bc2) + epsilon);
  }
}

export function fusedRMSProp(o: Readonly<RMSPropOptions>, tensor: StepTensor): void {
  const { param: p, grad: g } = tensor;
  const v = tensor.slots.v as FloatArray;
  const { learningRate, decay, epsilon } = o;
  const oneMinusDecay = 1 - decay;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] as number;
    const vi = decay * (v[i] as number) + oneMinusDecay * (gi * gi);
    v[i] = vi;
    p[i] = (p[i] as number) - (learningRate * gi) / (Math.sqrt(vi) + epsilon);
  }
}

export function fusedSGDMomentum(o: Readonly<SGDMomentumOptions>, tensor: StepTensor): void {
  const { param: p, grad: g } = tensor;
  const buf = tensor.slots.buf as FloatArray;
  const { learningRate, momentum } = o;
  for (let i = 0; i < p.length; i++) {
    const bi = momentum * (buf[i] as number) + (g[i] as number);
    buf[i] = bi;
    p[i] = (p[i] as number) - learningRate * bi;
  }
}
