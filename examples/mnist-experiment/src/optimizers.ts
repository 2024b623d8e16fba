/** The seed's four optimizers with the settings of its experiment. */
import type { OptimizerKind } from "./adapter.js";

export interface OptimizerSetup {
  /** As shown in tables and charts, and as given to `--optimizers` (any case). */
  label: string;
  kind: OptimizerKind;
  options: Record<string, number>;
}

/**
 * Every option is spelled out rather than left to an adapter's defaults: tfjs's Adam, for
 * one, defaults epsilon to 1e-7, and the runs must be the same on every stack.
 */
export const OPTIMIZERS: readonly OptimizerSetup[] = [
  { label: "A2S", kind: "A2S", options: {} },
  { label: "Adam", kind: "Adam", options: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } },
  { label: "RMSProp", kind: "RMSProp", options: { learningRate: 1e-3, decay: 0.9, epsilon: 1e-8 } },
  { label: "SGDMomentum", kind: "SGDMomentum", options: { learningRate: 0.01, momentum: 0.9 } },
];
