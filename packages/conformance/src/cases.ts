/**
 * What the math tier runs: an optimizer description, an independent float64 oracle of
 * it, and how long. Together the A2S cases cross every phase boundary of the schedule;
 * the baselines run at their defaults and at unusual settings; one algorithm is defined
 * outside core.
 */
import { a2s, adam, rmsprop, sgdMomentum } from "@a2s/core";
import type { OptimizerDescription } from "./adapter.js";
import {
  type BaselineKind,
  type Oracle,
  OracleA2S,
  type OracleA2SOptions,
  OracleBaseline,
} from "./oracle.js";
import { OutsideOracle, outsideAlgorithm } from "./outside-algorithm.js";

export interface MathCase {
  readonly name: string;
  readonly optimizer: OptimizerDescription;
  /** A fresh reference of the same algorithm and options. */
  oracle(): Oracle;
  readonly steps: number;
  readonly seed: number;
}

const FACTORIES = { A2S: a2s, Adam: adam, RMSProp: rmsprop, SGDMomentum: sgdMomentum } as const;

/** A case of a built-in algorithm, with the oracle of that algorithm and options. */
export function builtInCase(
  kind: keyof typeof FACTORIES,
  name: string,
  options: Record<string, unknown>,
  steps: number,
  seed: number,
): MathCase {
  return {
    name: `${kind} ${name}`,
    optimizer: { algorithm: FACTORIES[kind], options },
    oracle: () =>
      kind === "A2S"
        ? new OracleA2S(options as Partial<OracleA2SOptions>)
        : new OracleBaseline(kind as BaselineKind, options),
    steps,
    seed,
  };
}

/** A2S runs of the math tier, each against the oracle, per dtype. */
export const A2S_CASES: readonly MathCase[] = [
  builtInCase("A2S", "seed defaults (pure Adam phase)", {}, 60, 1),
  builtInCase(
    "A2S",
    "blend inside the run (switchIter 20, blendIters 25)",
    { switchIter: 20, blendIters: 25 },
    60,
    2,
  ),
  builtInCase(
    "A2S",
    "pure SGD from step 1 (switchIter 0, blendIters 1)",
    { switchIter: 0, blendIters: 1 },
    60,
    3,
  ),
  builtInCase(
    "A2S",
    "no curvature scaling (curvatureK 0)",
    { curvatureK: 0, switchIter: 10, blendIters: 30 },
    60,
    4,
  ),
  builtInCase(
    "A2S",
    "strong curvature scaling (curvatureK 5)",
    { curvatureK: 5, switchIter: 15, blendIters: 20, lrAdam: 0.01, lrSgd: 0.05 },
    60,
    5,
  ),
  builtInCase(
    "A2S",
    "unusual decays (beta1 0.5, beta2 0.6, momentum 0)",
    { beta1: 0.5, beta2: 0.6, momentum: 0, switchIter: 10, blendIters: 40, lrAdam: 0.01, lrSgd: 0.05 },
    60,
    6,
  ),
  builtInCase(
    "A2S",
    "large steps and epsilon (lrAdam 0.05, lrSgd 0.1, epsilon 1e-3)",
    { lrAdam: 0.05, lrSgd: 0.1, epsilon: 1e-3, switchIter: 30, blendIters: 10, curvatureK: 0.5 },
    70,
    7,
  ),
  builtInCase(
    "A2S",
    "hard switch (switchIter 25, blendIters 0)",
    { switchIter: 25, blendIters: 0, lrSgd: 0.02 },
    50,
    8,
  ),
  builtInCase(
    "A2S",
    "never switches (switchIter Infinity)",
    { switchIter: Number.POSITIVE_INFINITY, lrAdam: 0.01, curvatureK: 0.3 },
    50,
    9,
  ),
];

/** Baseline runs of the math tier. */
export const BASELINE_CASES: readonly MathCase[] = [
  builtInCase("Adam", "defaults", {}, 60, 11),
  builtInCase(
    "Adam",
    "learningRate 0.01, beta1 0.5, beta2 0.6, epsilon 1e-6",
    { learningRate: 0.01, beta1: 0.5, beta2: 0.6, epsilon: 1e-6 },
    60,
    12,
  ),
  builtInCase("RMSProp", "defaults", {}, 60, 13),
  builtInCase(
    "RMSProp",
    "learningRate 0.01, decay 0.5, epsilon 1e-4",
    { learningRate: 0.01, decay: 0.5, epsilon: 1e-4 },
    60,
    14,
  ),
  builtInCase("SGDMomentum", "defaults", {}, 60, 15),
  builtInCase("SGDMomentum", "learningRate 0.05, momentum 0", { learningRate: 0.05, momentum: 0 }, 60, 16),
];

/** The algorithm defined outside core, with a parameter group. */
export const OUTSIDE_CASE: MathCase = {
  name: "NormalizedMomentum (a transform defined outside core, with a group)",
  optimizer: {
    algorithm: outsideAlgorithm,
    options: { learningRate: 0.5, beta: 0.7, halveAfter: 20, groups: [{ tensors: ["b", "s"], beta: 0.3 }] },
  },
  oracle: () =>
    new OutsideOracle({
      learningRate: 0.5,
      beta: 0.7,
      halveAfter: 20,
      betaOf: (tensor) => (tensor === "b" || tensor === "s" ? 0.3 : 0.7),
    }),
  steps: 40,
  seed: 17,
};
