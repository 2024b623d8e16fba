export { type FloatArray, matmul, matmulTransA, matmulTransB } from "./matmul.js";
export {
  type ArrayOf,
  type Evaluation,
  LAYER_SIZES,
  Mlp,
  type MlpDType,
  type MlpOptions,
  type MlpParamName,
  type MlpParams,
  PARAM_NAMES,
} from "./model.js";
export { crossEntropySum, logSumExp } from "./softmax.js";
