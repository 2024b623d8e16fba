export * from "@a2s/core";
export type { OptimizerSettings } from "./config.js";
export { FUSED_A2S_KERNEL, FUSED_BACKENDS, type Kernel } from "./fused-kernels.js";
export type { NamedTensor } from "./gradients.js";
export type { NonFiniteMode } from "./non-finite.js";
export { A2S, Adam, a2s, adam, Optimizer, RMSProp, rmsprop, SGDMomentum, sgdMomentum } from "./optimizer.js";
