/**
 * The fused kernels' building blocks, for adapters that run the same two passes over
 * their framework's own buffers (`@a2s/tfjs` on tfjs's cpu and wasm backends): the step's
 * numbers, the first pass, the guard and the loops stay written once, here.
 */
export {
  type A2SArrays,
  type A2SPasses,
  type A2SPlan,
  type A2STargets,
  a2sFusable,
  a2sStep,
  type Blend,
  checkA2S,
  type GroupStep,
  writeA2S,
} from "./fused-a2s.js";
export {
  ADAM,
  type Baseline,
  type BaselinePasses,
  baselineStep,
  type Constants,
  RMSPROP,
  SGD_MOMENTUM,
} from "./fused-baselines.js";
export {
  addTensorSums,
  clippedDifferenceSquares,
  type FusedKernel,
  type FusedStep,
  gradientSums,
  runFused,
  type TensorSums,
} from "./fused-step.js";
