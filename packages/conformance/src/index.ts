export type {
  AdapterDescription,
  HostTensor,
  OptimizerKind,
  OptimizerUnderTest,
  TrainingRequest,
} from "./adapter.js";
