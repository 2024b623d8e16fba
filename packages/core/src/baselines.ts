/**
 * The seed's baselines (Adam, RMSProp, SGD with momentum), written against the same
 * {@link ArrayOps} so that every adapter, graph backends included, gets them from one
 * place. Option names follow tfjs (`tf.train.adam`, `tf.train.rmsprop`,
 * `tf.train.momentum`).
 */

import { type ArrayOps, stepScalar } from "./ops.js";
import { type OptionRule, resolveOptions } from "./options.js";

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}
export const ADAM_DEFAULTS: Readonly<AdamOptions> = Object.freeze({
  learningRate: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
});
const ADAM_RULES: { readonly [K in keyof AdamOptions]: OptionRule } = {
  learningRate: "positive",
  beta1: "unitInterval",
  beta2: "unitInterval",
  epsilon: "positive",
};
export function resolveAdamOptions(options?: Partial<AdamOptions>): Readonly<AdamOptions> {
  return resolveOptions(ADAM_DEFAULTS, ADAM_RULES, options);
}

export interface RMSPropOptions {
  learningRate: number;
  /** Decay of the running mean of squared gradients. */
  decay: number;
  epsilon: number;
}
export const RMSPROP_DEFAULTS: Readonly<RMSPropOptions> = Object.freeze({
  learningRate: 0.001,
  decay: 0.9,
  epsilon: 1e-8,
});
const RMSPROP_RULES: { readonly [K in keyof RMSPropOptions]: OptionRule } = {
  learningRate: "positive",
  decay: "unitInterval",
  epsilon: "positive",
};
export function resolveRMSPropOptions(options?: Partial<RMSPropOptions>): Readonly<RMSPropOptions> {
  return resolveOptions(RMSPROP_DEFAULTS, RMSPROP_RULES, options);
}

export interface SGDMomentumOptions {
  learningRate: number;
  momentum: number;
}
export const SGD_MOMENTUM_DEFAULTS: Readonly<SGDMomentumOptions> = Object.freeze({
  learningRate: 0.01,
  momentum: 0.9,
});
const SGD_MOMENTUM_RULES: { readonly [K in keyof SGDMomentumOptions]: OptionRule } = {
  learningRate: "positive",
  momentum: "unitInterval",
};
export function resolveSGDMomentumOptions(
  options?: Partial<SGDMomentumOptions>,
): Readonly<SGDMomentumOptions> {
  return resolveOptions(SGD_MOMENTUM_DEFAULTS, SGD_MOMENTUM_RULES, options);
}

/** Slot names per baseline, in checkpoint order. */
export const ADAM_SLOT_NAMES = ["m", "v"] as const;
export const RMSPROP_SLOT_NAMES = ["v"] as const;
export const SGD_MOMENTUM_SLOT_NAMES = ["buf"] as const;

/**
 * One Adam step for one tensor. The operation order is A2S's Adam component, so A2S
 * with `w = 1` equals Adam at the scaled learning rate, bit for bit.
 */
export function adamUpdate<T>(
  ops: ArrayOps<T>,
  options: Readonly<AdamOptions>,
  t: number,
  param: T,
  grad: T,
  slots: { m: T; v: T },
): { param: T; slots: { m: T; v: T } } {
  const m = ops.add(
    ops.mul(ops.scalar(options.beta1, grad), slots.m),
    ops.mul(ops.scalar(1 - options.beta1, grad), grad),
  );
  const v = ops.add(
    ops.mul(ops.scalar(options.beta2, grad), slots.v),
    ops.mul(ops.scalar(1 - options.beta2, grad), ops.mul(grad, grad)),
  );
  const mHat = ops.div(m, stepScalar(ops, "biasCorrection1", 1 - options.beta1 ** t, grad));
  const vHat = ops.div(v, stepScalar(ops, "biasCorrection2", 1 - options.beta2 ** t, grad));
  const step = ops.div(
    ops.mul(ops.scalar(options.learningRate, grad), mHat),
    ops.add(ops.sqrt(vHat), ops.scalar(options.epsilon, grad)),
  );
  return { param: ops.sub(param, step), slots: { m, v } };
}

/** One RMSProp step for one tensor: `v = decay*v + (1-decay)*g^2`, `p -= lr*g/(sqrt(v)+eps)`. */
export function rmspropUpdate<T>(
  ops: ArrayOps<T>,
  options: Readonly<RMSPropOptions>,
  param: T,
  grad: T,
  slots: { v: T },
): { param: T; slots: { v: T } } {
  const v = ops.add(
    ops.mul(ops.scalar(options.decay, grad), slots.v),
    ops.mul(ops.scalar(1 - options.decay, grad), ops.mul(grad, grad)),
  );
  const step = ops.div(
    ops.mul(ops.scalar(options.learningRate, grad), grad),
    ops.add(ops.sqrt(v), ops.scalar(options.epsilon, grad)),
  );
  return { param: ops.sub(param, step), slots: { v } };
}

/** One step of SGD with momentum, the seed's form: `buf = momentum*buf + g`, `p -= lr*buf`. */
export function sgdMomentumUpdate<T>(
  ops: ArrayOps<T>,
  options: Readonly<SGDMomentumOptions>,
  param: T,
  grad: T,
  slots: { buf: T },
): { param: T; slots: { buf: T } } {
  const buf = ops.add(ops.mul(ops.scalar(options.momentum, grad), slots.buf), grad);
  return { param: ops.sub(param, ops.mul(ops.scalar(options.learningRate, grad), buf)), slots: { buf } };
}
