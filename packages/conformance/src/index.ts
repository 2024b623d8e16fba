export type {
  AdapterDescription,
  HostTensor,
  OptimizerKind,
  OptimizerUnderTest,
  TrainingRequest,
} from "./adapter.js";
export { badInputTier } from "./bad-input-tier.js";
export { bytesEqual, describeDifference, relativeError, TOLERANCE, worstRelativeError } from "./compare.js";
export { A2S_CONFIGURATIONS, BASELINE_CONFIGURATIONS, type Configuration } from "./configurations.js";
export { mathTier } from "./math-tier.js";
export {
  type BaselineKind,
  ORACLE_A2S_DEFAULTS,
  ORACLE_BASELINE_DEFAULTS,
  OracleA2S,
  type OracleA2SOptions,
  OracleBaseline,
  type OracleStepInfo,
  oracleBlendWeight,
  type Vectors,
} from "./oracle.js";
export { NoisyQuadratic, PROBLEM_SHAPES, seededRandom } from "./problem.js";
export { propertyTier } from "./property-tier.js";
export { type StateTierOptions, stateTier } from "./state-tier.js";
export { type ConformanceOptions, conformanceSuite } from "./suite.js";
export * from "./training.js";
