/**
 * @a2s/wasm-kernels: the steps of A2S and of its baselines (Adam, RMSProp, SGD with
 * momentum) over float32 tensors as WebAssembly SIMD kernels, for hosts that compute the
 * step's scalars themselves (such as @a2s/typed).
 */
export { type A2SArrayName, A2SKernels } from "./a2s-kernels.js";
export {
  type AdamArrayName,
  AdamKernels,
  type RMSPropArrayName,
  RMSPropKernels,
  type SGDMomentumArrayName,
  SGDMomentumKernels,
} from "./baseline-kernels.js";
export { KernelInputError, WasmSimdUnavailableError } from "./errors.js";
export { A2SHostKernels } from "./host-memory.js";
export type { GradientStats, KernelMemory } from "./kernel-memory.js";
export { simdKernelsSupported } from "./module.js";
export type { A2SOffsets } from "./passes.js";
export type { A2SScalars, AdamScalars, RMSPropScalars, SGDMomentumScalars } from "./scalars.js";
