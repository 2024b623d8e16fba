/**
 * Features tier: schedules, decoupled weight decay, global-norm clipping, parameter
 * groups and the blend schedule, alone and together, for A2S and the baselines, against
 * the oracle (which implements each feature from the formulas, not from core);
 * then random combinations drawn by fast-check.
 */
import {
  constantSchedule,
  cosineDecaySchedule,
  exponentialDecay,
  type FloatDType,
  joinSchedules,
  linearSchedule,
  type Schedule,
  warmupCosineDecaySchedule,
} from "@a2s/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { AdapterDescription } from "./adapter.js";
import { builtInCase, type MathCase } from "./cases.js";
import { TOLERANCE } from "./compare.js";
import { compareWithOracle } from "./math-tier.js";

const cosine = cosineDecaySchedule({ initValue: 0.02, decaySteps: 40, alpha: 0.1 });
const staircase = exponentialDecay({ initValue: 0.05, transitionSteps: 10, decayRate: 0.5, staircase: true });
const warmup = warmupCosineDecaySchedule({
  initValue: 0,
  peakValue: 0.02,
  warmupSteps: 10,
  decaySteps: 50,
  endValue: 0.001,
});
const joined = joinSchedules(
  [constantSchedule(0.02), linearSchedule({ initValue: 0.02, endValue: 0.005, transitionSteps: 20 })],
  [25],
);

/** Each feature alone and all together, crossing the blend. */
export const FEATURE_CASES: readonly MathCase[] = [
  builtInCase(
    "A2S",
    "cosine lrAdam, staircase exponential lrSgd",
    { lrAdam: cosine, lrSgd: staircase, switchIter: 10, blendIters: 20 },
    50,
    31,
  ),
  builtInCase(
    "A2S",
    "warmup-cosine lrAdam, joined lrSgd",
    { lrAdam: warmup, lrSgd: joined, switchIter: 20, blendIters: 20 },
    50,
    32,
  ),
  builtInCase(
    "A2S",
    "decoupled weight decay 0.05",
    { weightDecay: 0.05, switchIter: 15, blendIters: 20, lrAdam: 0.01, lrSgd: 0.02 },
    50,
    33,
  ),
  builtInCase(
    "A2S",
    "clipping at 0.5 (always active)",
    { clipNorm: 0.5, switchIter: 10, blendIters: 20 },
    40,
    34,
  ),
  builtInCase(
    "A2S",
    "clipping at 2 (active, then not)",
    { clipNorm: 2, switchIter: 10, blendIters: 20, lrAdam: 0.02, lrSgd: 0.03 },
    50,
    35,
  ),
  builtInCase(
    "A2S",
    "groups by name and by pattern",
    {
      switchIter: 10,
      blendIters: 20,
      groups: [
        { tensors: ["b", "s"], lrAdam: 0.02, weightDecay: 0.1, beta1: 0.8 },
        { tensors: /^c/, lrSgd: cosine, momentum: 0.5 },
        { tensors: ["W"], epsilon: 1e-4, beta2: 0.9 },
      ],
    },
    50,
    36,
  ),
  builtInCase(
    "A2S",
    "blend as a cosine schedule",
    { blend: cosineDecaySchedule({ initValue: 1, decaySteps: 30 }), lrAdam: 0.01 },
    40,
    37,
  ),
  builtInCase(
    "A2S",
    "every feature together",
    {
      lrAdam: warmup,
      lrSgd: staircase,
      weightDecay: 0.02,
      clipNorm: 1.5,
      switchIter: 12,
      blendIters: 15,
      groups: [{ tensors: /^(b|s)$/, weightDecay: 0, lrSgd: 0.01 }],
    },
    50,
    38,
  ),
  builtInCase(
    "A2S",
    "automatic switch (settles at its first allowed check), fixed lrSgd",
    {
      switchIter: "auto",
      switchMinSteps: 10,
      switchWindow: 5,
      switchTolerance: 0.2,
      blendIters: 10,
      lrAdam: 0.02,
    },
    60,
    51,
  ),
  builtInCase(
    "A2S",
    "automatic switch with the estimated SGD rate",
    {
      switchIter: "auto",
      lrSgd: "auto",
      switchMinSteps: 10,
      switchWindow: 5,
      switchTolerance: 0.2,
      blendIters: 10,
      lrAdam: 0.02,
    },
    60,
    52,
  ),
  builtInCase(
    "A2S",
    "automatic hard switch that waits for a settled estimate, with weight decay and clipping",
    {
      switchIter: "auto",
      lrSgd: "auto",
      switchMinSteps: 8,
      switchWindow: 4,
      switchTolerance: 0.03,
      blendIters: 0,
      lrAdam: 0.01,
      curvatureK: 0.5,
      weightDecay: 0.01,
      clipNorm: 3,
    },
    60,
    53,
  ),
  builtInCase(
    "Adam",
    "AdamW: weight decay 0.01, cosine rate, clipping at 1",
    { learningRate: cosine, weightDecay: 0.01, clipNorm: 1 },
    40,
    39,
  ),
  builtInCase(
    "RMSProp",
    "staircase rate, groups",
    { learningRate: staircase, groups: [{ tensors: ["W"], decay: 0.5, learningRate: 0.002 }] },
    40,
    40,
  ),
  builtInCase(
    "SGDMomentum",
    "warmup-cosine rate, weight decay, clipping at 1",
    { learningRate: warmup, weightDecay: 0.05, clipNorm: 1 },
    40,
    41,
  ),
];

/** fast-check arbitraries of schedules whose values stay valid learning rates (>= 0). */
const rate = (peak: number): fc.Arbitrary<number | Schedule> =>
  fc.oneof(
    fc.double({ min: 0, max: peak, noNaN: true }),
    fc
      .record({
        initValue: fc.double({ min: 0, max: peak, noNaN: true }),
        decaySteps: fc.integer({ min: 1, max: 40 }),
        alpha: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map((o) => cosineDecaySchedule(o)),
    fc
      .record({
        initValue: fc.double({ min: 0, max: peak, noNaN: true }),
        transitionSteps: fc.integer({ min: 1, max: 20 }),
        decayRate: fc.double({ min: 0.1, max: 1, noNaN: true }),
        staircase: fc.boolean(),
      })
      .map((o) => exponentialDecay(o)),
    fc
      .record({
        initValue: fc.double({ min: 0, max: peak, noNaN: true }),
        endValue: fc.double({ min: 0, max: peak, noNaN: true }),
        transitionSteps: fc.integer({ min: 0, max: 30 }),
        transitionBegin: fc.integer({ min: 0, max: 20 }),
      })
      .map((o) => linearSchedule(o)),
    fc
      .record({
        peakValue: fc.double({ min: 0, max: peak, noNaN: true }),
        warmupSteps: fc.integer({ min: 0, max: 10 }),
        extra: fc.integer({ min: 1, max: 30 }),
      })
      .map((o) =>
        warmupCosineDecaySchedule({
          initValue: 0,
          peakValue: o.peakValue,
          warmupSteps: o.warmupSteps,
          decaySteps: o.warmupSteps + o.extra,
        }),
      ),
  );

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 2 });

const groupsArbitrary = (rateName: string, peak: number) =>
  optional(
    fc.constantFrom<[string[] | RegExp]>([["W"]], [/^b|s$/], [["conv", "s"]]).chain(([tensors]) =>
      fc
        .record({
          [rateName]: optional(rate(peak)),
          weightDecay: optional(fc.double({ min: 0, max: 0.1, noNaN: true })),
        })
        .map((overrides) => [
          { tensors, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) },
        ]),
    ),
  );

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** Random combinations of A2S's features (each on or off). */
const a2sOptions = fc
  .record({
    lrAdam: optional(rate(0.03)),
    lrSgd: optional(rate(0.05)),
    weightDecay: optional(fc.double({ min: 0, max: 0.1, noNaN: true })),
    clipNorm: optional(fc.double({ min: 0.2, max: 5, noNaN: true })),
    switchIter: fc.integer({ min: 0, max: 15 }),
    blendIters: fc.integer({ min: 0, max: 15 }),
    curvatureK: fc.double({ min: 0, max: 2, noNaN: true }),
    groups: groupsArbitrary("lrAdam", 0.03),
  })
  .map(defined);

const baselineOptions = (kind: "Adam" | "RMSProp" | "SGDMomentum") =>
  fc
    .record({
      learningRate: optional(rate(kind === "SGDMomentum" ? 0.05 : 0.02)),
      weightDecay: optional(fc.double({ min: 0, max: 0.1, noNaN: true })),
      clipNorm: optional(fc.double({ min: 0.2, max: 5, noNaN: true })),
      groups: groupsArbitrary("learningRate", 0.02),
    })
    .map(defined);

/** Runs per random property and dtype: enough combinations to cross every feature pair, few enough for CI. */
const RANDOM_RUNS = 8;
const RANDOM_STEPS = 25;

/** Registers the features tier for `adapter`. */
export function featuresTier(adapter: AdapterDescription): void {
  describe(`${adapter.name}: features tier`, () => {
    for (const dtype of adapter.dtypes) {
      for (const c of FEATURE_CASES) {
        test(`${c.name}: ${c.steps} steps in ${dtype} match the oracle`, async () => {
          await compareWithOracle(adapter, c, dtype);
        });
      }
      const kinds: ["A2S" | "Adam" | "RMSProp" | "SGDMomentum", fc.Arbitrary<Record<string, unknown>>][] = [
        ["A2S", a2sOptions],
        ["Adam", baselineOptions("Adam")],
        ["RMSProp", baselineOptions("RMSProp")],
        ["SGDMomentum", baselineOptions("SGDMomentum")],
      ];
      for (const [kind, options] of kinds) {
        test(`${kind}: random combinations of the features match the oracle (${dtype})`, () =>
          fc.assert(
            fc.asyncProperty(options, fc.integer({ min: 1, max: 1_000_000 }), async (o, seed) => {
              const error = await compareWithOracle(
                adapter,
                builtInCase(kind, "random", o, RANDOM_STEPS, seed),
                dtype as FloatDType,
              );
              expect(error).toBeLessThanOrEqual(TOLERANCE[dtype]);
            }),
            { numRuns: RANDOM_RUNS },
          ));
      }
    }
  });
}
