export * from "@a2s/core";
export { A2S } from "./a2s.js";
export { Adam, RMSProp, SGDMomentum } from "./baselines.js";
export {
  HostOptimizer,
  type Kernel,
  type KernelSettings,
  type StepTensor,
  type TensorRecord,
} from "./host-optimizer.js";
export { typedArrayOps } from "./typed-ops.js";
