export {
  ADAM_DEFAULTS,
  ADAM_SLOT_NAMES,
  type AdamOptions,
  adamUpdate,
  RMSPROP_DEFAULTS,
  RMSPROP_SLOT_NAMES,
  type RMSPropOptions,
  resolveAdamOptions,
  resolveRMSPropOptions,
  resolveSGDMomentumOptions,
  rmspropUpdate,
  SGD_MOMENTUM_DEFAULTS,
  SGD_MOMENTUM_SLOT_NAMES,
  type SGDMomentumOptions,
  sgdMomentumUpdate,
} from "./baselines.js";
export {
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_MAGIC,
  type Checkpoint,
  type CheckpointExpectation,
  type CheckpointHeader,
  type CheckpointTensor,
  crc32,
  decodeCheckpoint,
  encodeCheckpoint,
} from "./checkpoint.js";
export type { StepDiagnostics } from "./diagnostics.js";
export {
  A2SError,
  type A2SErrorCode,
  CheckpointError,
  type CheckpointProblem,
  InvalidOptionError,
  NonFiniteGradientError,
  TensorMismatchError,
  type TensorMismatchKind,
} from "./errors.js";
export {
  allocateLike,
  checkFinite,
  checkPair,
  checkTensorNames,
  dtypeOf,
  type FloatArray,
  type FloatDType,
  isFloatArray,
} from "./host-arrays.js";
export { type ArrayOps, type StepScalarName, stepScalar } from "./ops.js";
export {
  A2S_DEFAULTS,
  A2S_RULES,
  type A2SOptions,
  type OptionRule,
  resolveA2SOptions,
  resolveOptions,
} from "./options.js";
export { a2sSchedule, blendWeight, type StepSchedule } from "./schedule.js";
export {
  A2S_SLOT_NAMES,
  type A2SSlots,
  type A2SUpdateInput,
  type A2SUpdateOutput,
  type A2SUpdateResult,
  a2sUpdate,
} from "./update.js";
