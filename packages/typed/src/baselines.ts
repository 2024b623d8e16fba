/**
 * The seed's baselines with the same interface as {@link A2S}. Options are named as in
 * tfjs (`learningRate`, ...); the fused kernel is a loop per tensor, the generic one is
 * core's update over {@link typedArrayOps}.
 */
import {
  ADAM_SLOT_NAMES,
  type AdamOptions,
  adamUpdate,
  checkFinite,
  type FloatArray,
  RMSPROP_SLOT_NAMES,
  type RMSPropOptions,
  resolveAdamOptions,
  resolveRMSPropOptions,
  resolveSGDMomentumOptions,
  rmspropUpdate,
  SGD_MOMENTUM_SLOT_NAMES,
  type SGDMomentumOptions,
  sgdMomentumUpdate,
} from "@a2s/core";
import { fusedAdam, fusedRMSProp, fusedSGDMomentum } from "./baseline-kernels.js";
import { HostOptimizer, type KernelSettings, type StepTensor } from "./host-optimizer.js";
import { typedArrayOps } from "./typed-ops.js";

function checkAllFinite(tensors: readonly StepTensor[]): void {
  for (const { name, grad } of tensors) checkFinite(name, grad);
}

/** Copies a generic result into the caller's parameter and the optimizer's slots. */
function commit(tensor: StepTensor, result: { param: FloatArray; slots: Record<string, FloatArray> }): void {
  tensor.param.set(result.param);
  for (const [slot, values] of Object.entries(result.slots)) (tensor.slots[slot] as FloatArray).set(values);
}

/** Adam (defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-8). */
export class Adam extends HostOptimizer<AdamOptions> {
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<AdamOptions>, settings?: KernelSettings) {
    super({ algorithm: "Adam", slots: ADAM_SLOT_NAMES, resolve: resolveAdamOptions }, options, settings);
  }

  protected override step(tensors: readonly StepTensor[], t: number): void {
    checkAllFinite(tensors);
    for (const tensor of tensors) {
      if (this.kernel === "fused") fusedAdam(this.options, t, tensor);
      else {
        const slots = { m: tensor.slots.m as FloatArray, v: tensor.slots.v as FloatArray };
        commit(tensor, adamUpdate(typedArrayOps, this.options, t, tensor.param, tensor.grad, slots));
      }
    }
  }
}

/** RMSProp without momentum (defaults: learningRate 0.001, decay 0.9, epsilon 1e-8). */
export class RMSProp extends HostOptimizer<RMSPropOptions> {
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<RMSPropOptions>, settings?: KernelSettings) {
    super(
      { algorithm: "RMSProp", slots: RMSPROP_SLOT_NAMES, resolve: resolveRMSPropOptions },
      options,
      settings,
    );
  }

  protected override step(tensors: readonly StepTensor[]): void {
    checkAllFinite(tensors);
    for (const tensor of tensors) {
      if (this.kernel === "fused") fusedRMSProp(this.options, tensor);
      else {
        const slots = { v: tensor.slots.v as FloatArray };
        commit(tensor, rmspropUpdate(typedArrayOps, this.options, tensor.param, tensor.grad, slots));
      }
    }
  }
}

/** SGD with momentum in the seed's form `buf = momentum*buf + g` (defaults: learningRate 0.01, momentum 0.9). */
export class SGDMomentum extends HostOptimizer<SGDMomentumOptions> {
  /** @throws InvalidOptionError an unknown option or a value out of range. */
  constructor(options?: Partial<SGDMomentumOptions>, settings?: KernelSettings) {
    super(
      { algorithm: "SGDMomentum", slots: SGD_MOMENTUM_SLOT_NAMES, resolve: resolveSGDMomentumOptions },
      options,
      settings,
    );
  }

  protected override step(tensors: readonly StepTensor[]): void {
    checkAllFinite(tensors);
    for (const tensor of tensors) {
      if (this.kernel === "fused") fusedSGDMomentum(this.options, tensor);
      else {
        const slots = { buf: tensor.slots.buf as FloatArray };
        commit(tensor, sgdMomentumUpdate(typedArrayOps, this.options, tensor.param, tensor.grad, slots));
      }
    }
  }
}
