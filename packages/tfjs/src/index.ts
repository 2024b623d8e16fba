export * from "@a2s/core";
export type { NamedTensor, VariableGradient } from "./gradients.js";
export type { NonFiniteMode } from "./non-finite.js";
export { A2SOptimizer as A2S, A2SOptimizer, a2s, type LoadCheckpointOptions } from "./optimizer.js";
export type { A2STfjsOptions } from "./options.js";
export type { Matching } from "./slot-state.js";
export { Expr, TensorOps } from "./tensor-ops.js";
