export {
  type AdapterDescription,
  algorithmOf,
  type CreateSettings,
  type HostArrays,
  type HostTensor,
  type OptimizerDescription,
  type OptimizerUnderTest,
  type TrainingRequest,
} from "./adapter.js";
export { badInputTier } from "./bad-input-tier.js";
export { A2S_CASES, BASELINE_CASES, builtInCase, type MathCase, OUTSIDE_CASE } from "./cases.js";
export { bytesEqual, describeDifference, relativeError, TOLERANCE, worstRelativeError } from "./compare.js";
export { FEATURE_CASES, featuresTier } from "./features-tier.js";
export { compareWithOracle, mathTier } from "./math-tier.js";
export {
  type BaselineKind,
  type ExpectedDiagnostics,
  ORACLE_A2S_DEFAULTS,
  ORACLE_BASELINE_DEFAULTS,
  type Oracle,
  OracleA2S,
  type OracleA2SOptions,
  OracleBaseline,
  type OracleGroup,
  type OracleRate,
  oracleBlendWeight,
  oracleSchedule,
  type Vectors,
} from "./oracle.js";
export { OutsideOracle, outsideAlgorithm } from "./outside-algorithm.js";
export { NoisyQuadratic, PROBLEM_SHAPES } from "./problem.js";
export { propertyTier } from "./property-tier.js";
export { copyArrays, runSteps } from "./run.js";
export { STATE_SUBJECTS, type StateTierOptions, stateTier } from "./state-tier.js";
export { type ConformanceOptions, conformanceSuite } from "./suite.js";
export * from "./training.js";
