export * from "@a2s/core";
export { hostBackend } from "./host-backend.js";
export {
  A2S,
  Adam,
  type Kernel,
  Optimizer,
  type OptimizerSettings,
  RMSProp,
  SGDMomentum,
} from "./optimizer.js";
export { typedArrayOps } from "./typed-ops.js";
