// Options, errors, schedules, checkpoints and diagnostics, as every adapter re-exports them.
export * from "@a2s/core";
export {
  type AppendStepOptions,
  appendOptimizerStep,
  FusedStep,
  type TensorLike,
} from "./append-step.js";
export { saveModel } from "./export.js";
export {
  createHostStepTrainer,
  type HostOptimizer,
  type HostStepTrainerOptions,
} from "./host-step-trainer.js";
export { mlpParamNames, mlpParamShapes, SEED_LAYER_SIZES } from "./mlp-graph.js";
export {
  buildEvaluationModel,
  buildInferenceModel,
  buildTrainingModel,
  IMAGES,
  LABELS,
} from "./mlp-models.js";
export {
  A2S,
  Adam,
  Optimizer,
  type OptimizerClass,
  type OptimizerSettings,
  RMSProp,
  SGDMomentum,
} from "./optimizer.js";
export type { OnnxRuntime } from "./runtime.js";
export { DEFAULT_SESSION_OPTIONS } from "./session.js";
export { STEP_NAMES } from "./step-names.js";
export {
  createTrainer,
  type GradientResult,
  type MlpModel,
  type Trainer,
  type TrainerOptions,
} from "./trainer.js";
