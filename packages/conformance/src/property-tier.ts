/**
 * Property tier (fast-check): the schedule's shape, curvatureK = 0, and the two ends of
 * the blend, where one A2S step must be one Adam step (w = 1) or one SGD-with-momentum
 * step (w = 0) at the curvature-scaled learning rate.
 */
import {
  a2s,
  adam,
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  type FloatDType,
  optionSetToJSON,
  resolveOptionSet,
  type StepDiagnostics,
  sgdMomentum,
} from "@a2s/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { AdapterDescription, HostArrays, OptimizerDescription } from "./adapter.js";
import { TOLERANCE } from "./compare.js";
import { NoisyQuadratic } from "./problem.js";
import { asHostTensors, copyArrays, create, roundTo, runSteps } from "./run.js";

/** Runs per property: enough to cross many schedules, few enough for CI. */
const NUM_RUNS = 12;

/** Unit roundoff: the largest relative error of one rounding to the dtype. */
const UNIT_ROUNDOFF: Readonly<Record<FloatDType, number>> = { float64: 2 ** -53, float32: 2 ** -24 };

/**
 * The worst disagreement of two results of one step from the same `start`, or 0. Both
 * implementations round their final `p - step` once, so they may differ by one rounding
 * of the parameter each (2u|p|); beyond that the steps themselves must agree within the
 * math tier's relative tolerance.
 */
function stepDisagreement(
  start: HostArrays,
  actual: HostArrays,
  expected: HostArrays,
  dtype: FloatDType,
): number {
  let worst = 0;
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name] as Float64Array;
    const p = start[name] as Float64Array;
    for (let i = 0; i < e.length; i++) {
      const x = a[i] as number;
      const y = e[i] as number;
      const allowed =
        TOLERANCE[dtype] * Math.abs((p[i] as number) - y) +
        2 * UNIT_ROUNDOFF[dtype] * Math.max(Math.abs(x), Math.abs(y));
      const excess = Math.abs(x - y) / allowed;
      if (!(excess <= worst)) worst = excess;
    }
  }
  return worst <= 1 ? 0 : worst;
}

/** The host's curvature scale for the next step, from the stored previous gradient. */
function hostLrScale(checkpoint: Checkpoint, grads: HostArrays, curvatureK: number): number {
  if (curvatureK === 0) return 1;
  let sum = 0;
  for (const [name, g] of Object.entries(grads)) {
    const prev = checkpoint.tensors.find((t) => t.name === name)?.slots.prev as ArrayLike<number>;
    let part = 0;
    for (let i = 0; i < g.length; i++) part += ((g[i] as number) - (prev[i] as number)) ** 2;
    sum += part;
  }
  return 1 / (1 + curvatureK * Math.sqrt(sum));
}

interface EndOfBlend {
  /** A2S options that pin w to 1 or to 0. */
  pin: Record<string, number>;
  baseline: OptimizerDescription["algorithm"];
  name: string;
  /** The baseline's options at the scaled learning rate. */
  options(a2s: Readonly<Record<string, unknown>>, lrScale: number): Record<string, number>;
  slots: readonly string[];
}

const ADAM_END: EndOfBlend = {
  pin: { switchIter: 1000 },
  baseline: adam,
  name: "Adam",
  options: (o, s) => ({
    learningRate: (o.lrAdam as number) * s,
    beta1: o.beta1 as number,
    beta2: o.beta2 as number,
    epsilon: o.epsilon as number,
  }),
  slots: ["m", "v"],
};
const SGD_END: EndOfBlend = {
  pin: { switchIter: 0, blendIters: 1 },
  baseline: sgdMomentum,
  name: "SGDMomentum",
  options: (o, s) => ({ learningRate: (o.lrSgd as number) * s, momentum: o.momentum as number }),
  slots: ["buf"],
};

/**
 * After `warm` A2S steps, compares the next A2S step with one step of the adapter's own
 * baseline, started from A2S's state (moments or buffer, step count) at the scaled
 * learning rate.
 */
async function endOfBlendAgrees(
  adapter: AdapterDescription,
  end: EndOfBlend,
  dtype: FloatDType,
  seed: number,
  curvatureK: number,
  warm: number,
): Promise<void> {
  const problem = new NoisyQuadratic(seed);
  const optimizer = await create(
    adapter,
    { algorithm: a2s, options: { ...end.pin, curvatureK, lrAdam: 0.01, lrSgd: 0.02 } },
    dtype,
    problem,
  );
  try {
    await runSteps(optimizer, problem, 0, warm);
    const checkpoint = decodeCheckpoint(await optimizer.save());
    const start = copyArrays(await optimizer.read());
    const grads = problem.gradient(start, warm + 1);
    const lrScale = hostLrScale(checkpoint, roundTo(dtype, grads), curvatureK);
    await optimizer.step(grads);
    const actual = copyArrays(await optimizer.read());
    const options = end.options(
      Object.fromEntries(Object.entries(checkpoint.options).map(([k, v]) => [k, v])),
      lrScale,
    );
    const state: Checkpoint = {
      algorithm: end.name,
      options: optionSetToJSON(resolveOptionSet(end.baseline.definition.options, options)),
      t: checkpoint.t,
      scalars: {},
      tensors: checkpoint.tensors.map((t) => ({
        name: t.name,
        shape: t.shape,
        slots: Object.fromEntries(end.slots.map((s) => [s, t.slots[s] as Float64Array])),
      })),
    };
    const baseline = await create(
      adapter,
      { algorithm: end.baseline, options },
      dtype,
      problem,
      asHostTensors(problem, start),
    );
    let expected: HostArrays;
    try {
      await baseline.load(encodeCheckpoint(state));
      await baseline.step(grads);
      expected = copyArrays(await baseline.read());
    } finally {
      await baseline.dispose?.();
    }
    expect(stepDisagreement(start, actual, expected, dtype), "excess over the allowed disagreement").toBe(0);
  } finally {
    await optimizer.dispose?.();
  }
}

async function diagnosticsOf(optimizer: { diagnostics(): unknown }): Promise<StepDiagnostics> {
  const d = (await optimizer.diagnostics()) as StepDiagnostics | undefined;
  expect(d, "diagnostics after a step").toBeDefined();
  return d as StepDiagnostics;
}

const seeds = fc.integer({ min: 1, max: 1_000_000 });
const curvatureKs = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 5, noNaN: true }));
const warmSteps = fc.integer({ min: 1, max: 6 });

/** Registers the property tier for every dtype of `adapter`. */
export function propertyTier(adapter: AdapterDescription): void {
  describe(`${adapter.name}: property tier`, () => {
    for (const dtype of adapter.dtypes) {
      test(`w stays in [0, 1], is 1 through switchIter, 0 from switchIter + blendIters, never increases (${dtype})`, () =>
        fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 0, max: 12 }),
            fc.integer({ min: 0, max: 12 }),
            seeds,
            async (switchIter, blendIters, seed) => {
              const problem = new NoisyQuadratic(seed);
              const optimizer = await create(
                adapter,
                { algorithm: a2s, options: { switchIter, blendIters } },
                dtype,
                problem,
              );
              try {
                let previous = 1;
                let params = copyArrays(await optimizer.read());
                for (let t = 1; t <= switchIter + blendIters + 2; t++) {
                  await optimizer.step(problem.gradient(params, t));
                  params = copyArrays(await optimizer.read());
                  const { w } = await diagnosticsOf(optimizer);
                  expect(w).toBeGreaterThanOrEqual(0);
                  expect(w).toBeLessThanOrEqual(previous);
                  // The seed tests t <= switchIter first: with blendIters 0 that step is still Adam.
                  if (t <= switchIter) expect(w).toBe(1);
                  else if (t >= switchIter + blendIters) expect(w).toBe(0);
                  previous = w as number;
                }
              } finally {
                await optimizer.dispose?.();
              }
            },
          ),
          { numRuns: NUM_RUNS },
        ));

      test(`curvatureK = 0 gives lrScale exactly 1, however much the gradients change (${dtype})`, () =>
        fc.assert(
          fc.asyncProperty(
            seeds,
            fc.double({ min: 0.01, max: 1e6, noNaN: true }),
            warmSteps,
            async (seed, noise, steps) => {
              const problem = new NoisyQuadratic(seed, noise);
              const optimizer = await create(
                adapter,
                { algorithm: a2s, options: { curvatureK: 0, switchIter: 2, blendIters: 3 } },
                dtype,
                problem,
              );
              try {
                let params = copyArrays(await optimizer.read());
                for (let t = 1; t <= steps; t++) {
                  await optimizer.step(problem.gradient(params, t));
                  params = copyArrays(await optimizer.read());
                  expect((await diagnosticsOf(optimizer)).lrScale).toBe(1);
                }
              } finally {
                await optimizer.dispose?.();
              }
            },
          ),
          { numRuns: NUM_RUNS },
        ));

      test(`clipping never lets the step's gradient norm exceed clipNorm, and leaves smaller ones untouched (${dtype})`, () =>
        fc.assert(
          fc.asyncProperty(
            seeds,
            fc.double({ min: 0.05, max: 20, noNaN: true }),
            warmSteps,
            async (seed, clipNorm, steps) => {
              const problem = new NoisyQuadratic(seed);
              const optimizer = await create(
                adapter,
                { algorithm: a2s, options: { clipNorm } },
                dtype,
                problem,
              );
              try {
                let params = copyArrays(await optimizer.read());
                for (let t = 1; t <= steps; t++) {
                  const grads = roundTo(dtype, problem.gradient(params, t));
                  let norm = 0;
                  for (const g of Object.values(grads)) for (const x of g) norm += x * x;
                  norm = Math.sqrt(norm);
                  await optimizer.step(grads);
                  params = copyArrays(await optimizer.read());
                  const { clipFactor } = await diagnosticsOf(optimizer);
                  if (norm <= clipNorm * (1 - TOLERANCE[dtype])) expect(clipFactor).toBe(1);
                  else
                    expect((clipFactor as number) * norm).toBeLessThanOrEqual(
                      clipNorm * (1 + TOLERANCE[dtype]),
                    );
                }
              } finally {
                await optimizer.dispose?.();
              }
            },
          ),
          { numRuns: NUM_RUNS },
        ));

      for (const end of [ADAM_END, SGD_END]) {
        const w = end === ADAM_END ? 1 : 0;
        test(`with w = ${w} an A2S step equals one ${end.name} step at the scaled learning rate (${dtype})`, () =>
          fc.assert(
            fc.asyncProperty(seeds, curvatureKs, warmSteps, (seed, curvatureK, warm) =>
              endOfBlendAgrees(adapter, end, dtype, seed, curvatureK, warm),
            ),
            { numRuns: NUM_RUNS },
          ));
      }
    }
  });
}
