export * from "@a2s/core";
export type { OptimizerSettings } from "./config.js";
export type { NamedTensor } from "./gradients.js";
export type { NonFiniteMode } from "./non-finite.js";
export { A2S, Adam, a2s, adam, Optimizer, RMSProp, rmsprop, SGDMomentum, sgdMomentum } from "./optimizer.js";
