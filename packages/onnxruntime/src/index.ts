// Options, errors, checkpoints and diagnostics types, as every adapter re-exports them.
export * from "@a2s/core";
export { saveModel } from "./export.js";
export { type Dim, type ElementType, GraphBuilder, OPSET_VERSION, type Sym } from "./graph-builder.js";
export { mlpParamNames, mlpParamShapes, SEED_LAYER_SIZES } from "./mlp-graph.js";
export {
  buildEvaluationModel,
  buildFusedModel,
  buildInferenceModel,
  buildTrainingModel,
  type FusedModel,
  IMAGES,
  LABELS,
} from "./mlp-models.js";
export { buildOptimizerModel } from "./optimizer-graph-session.js";
export type { TensorLayout } from "./optimizer-state.js";
export {
  A2S,
  Adam,
  type GraphOptimizer,
  type GraphOptimizerConfig,
  RMSProp,
  SGDMomentum,
} from "./optimizers.js";
export {
  a2sRecipe,
  adamRecipe,
  type OptimizerKind,
  type OptimizerRecipe,
  rmspropRecipe,
  sgdMomentumRecipe,
} from "./recipes.js";
export { createSession, DEFAULT_SESSION_OPTIONS } from "./session.js";
export { SymbolicOps } from "./symbolic-ops.js";
export {
  createTrainer,
  type GradientResult,
  type MlpModel,
  type Trainer,
  type TrainerOptions,
} from "./trainer.js";
