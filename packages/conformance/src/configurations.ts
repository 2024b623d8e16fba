/**
 * The math tier's configurations. Together they cross every phase boundary of the
 * schedule: pure Adam, the blend, pure SGD with momentum, no curvature scaling and
 * strong curvature scaling, and unusual moment decays.
 */
import type { OptimizerKind } from "./adapter.js";

export interface Configuration {
  name: string;
  kind: OptimizerKind;
  /** Only what differs from the defaults; the oracle fills in the seed's own. */
  options: Record<string, number>;
  steps: number;
  seed: number;
}

/** A2S runs of the math tier, each against the oracle, per dtype. */
export const A2S_CONFIGURATIONS: readonly Configuration[] = [
  { name: "seed defaults (pure Adam phase)", kind: "A2S", options: {}, steps: 60, seed: 1 },
  {
    name: "blend inside the run (switchIter 20, blendIters 25)",
    kind: "A2S",
    options: { switchIter: 20, blendIters: 25 },
    steps: 60,
    seed: 2,
  },
  {
    name: "pure SGD from step 1 (switchIter 0, blendIters 1)",
    kind: "A2S",
    options: { switchIter: 0, blendIters: 1 },
    steps: 60,
    seed: 3,
  },
  {
    name: "no curvature scaling (curvatureK 0)",
    kind: "A2S",
    options: { curvatureK: 0, switchIter: 10, blendIters: 30 },
    steps: 60,
    seed: 4,
  },
  {
    name: "strong curvature scaling (curvatureK 5)",
    kind: "A2S",
    options: { curvatureK: 5, switchIter: 15, blendIters: 20, lrAdam: 0.01, lrSgd: 0.05 },
    steps: 60,
    seed: 5,
  },
  {
    name: "unusual decays (beta1 0.5, beta2 0.6, momentum 0)",
    kind: "A2S",
    options: {
      beta1: 0.5,
      beta2: 0.6,
      momentum: 0,
      switchIter: 10,
      blendIters: 40,
      lrAdam: 0.01,
      lrSgd: 0.05,
    },
    steps: 60,
    seed: 6,
  },
  {
    name: "large steps and epsilon (lrAdam 0.05, lrSgd 0.1, epsilon 1e-3)",
    kind: "A2S",
    options: { lrAdam: 0.05, lrSgd: 0.1, epsilon: 1e-3, switchIter: 30, blendIters: 10, curvatureK: 0.5 },
    steps: 70,
    seed: 7,
  },
];

/** Baseline runs of the math tier, for the kinds an adapter offers. */
export const BASELINE_CONFIGURATIONS: readonly Configuration[] = [
  { name: "defaults", kind: "Adam", options: {}, steps: 60, seed: 11 },
  {
    name: "learningRate 0.01, beta1 0.5, beta2 0.6, epsilon 1e-6",
    kind: "Adam",
    options: { learningRate: 0.01, beta1: 0.5, beta2: 0.6, epsilon: 1e-6 },
    steps: 60,
    seed: 12,
  },
  { name: "defaults", kind: "RMSProp", options: {}, steps: 60, seed: 13 },
  {
    name: "learningRate 0.01, decay 0.5, epsilon 1e-4",
    kind: "RMSProp",
    options: { learningRate: 0.01, decay: 0.5, epsilon: 1e-4 },
    steps: 60,
    seed: 14,
  },
  { name: "defaults", kind: "SGDMomentum", options: {}, steps: 60, seed: 15 },
  {
    name: "learningRate 0.05, momentum 0",
    kind: "SGDMomentum",
    options: { learningRate: 0.05, momentum: 0 },
    steps: 60,
    seed: 16,
  },
];
