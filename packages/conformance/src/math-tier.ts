/**
 * Math tier: trajectories of the adapter against the float64 oracle, per dtype the
 * adapter computes in, every step compared within {@link TOLERANCE}; the diagnostics the
 * oracle knows are compared too.
 */
import type { FloatDType, StepDiagnostics } from "@a2s/core";
import { describe, expect, test } from "vitest";
import type { AdapterDescription } from "./adapter.js";
import { A2S_CASES, BASELINE_CASES, type MathCase, OUTSIDE_CASE } from "./cases.js";
import { TOLERANCE, worstRelativeError } from "./compare.js";
import type { ExpectedDiagnostics, Vectors } from "./oracle.js";
import { NoisyQuadratic } from "./problem.js";
import { copyArrays, create } from "./run.js";

export const toVectors = (arrays: Readonly<Record<string, ArrayLike<number>>>): Vectors =>
  Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, Array.from(v)]));

/** Relative difference of two host scalars; absolute below 1, where a relative one would mislead. */
const scalarError = (a: number, e: number) => Math.abs(a - e) / Math.max(1, Math.abs(e));

/**
 * Compares the diagnostics with what the oracle expects. The step count and the step the
 * automatic switch fired at are integers and must be exact; every other value (the blend
 * weight too: the automatic switch computes it on the device) is held to the tolerance.
 */
export function expectDiagnostics(
  actual: StepDiagnostics | undefined,
  expected: ExpectedDiagnostics,
  tolerance: number,
  step: number,
): void {
  expect(actual, `diagnostics after step ${step}`).toBeDefined();
  const d = actual as StepDiagnostics;
  for (const [name, value] of Object.entries(expected)) {
    const got = d[name];
    expect(got, `diagnostics.${name} at step ${step}`).toBeTypeOf("number");
    // The step count and the step the automatic switch fired at are integers: exact.
    const allowed = name === "t" || name === "switchedAt" ? 0 : tolerance;
    expect(scalarError(got as number, value), `diagnostics.${name} at step ${step}`).toBeLessThanOrEqual(
      allowed,
    );
  }
}

/** Runs one case against its oracle; returns the worst relative error of the parameters. */
export async function compareWithOracle(
  adapter: AdapterDescription,
  c: MathCase,
  dtype: FloatDType,
): Promise<number> {
  const problem = new NoisyQuadratic(c.seed);
  const optimizer = await create(adapter, c.optimizer, dtype, problem);
  const oracle = c.oracle();
  const expected = toVectors(
    Object.fromEntries(Object.entries(problem.initialParams()).map(([k, v]) => [k, v.data])),
  );
  const tolerance = TOLERANCE[dtype];
  let worst = 0;
  try {
    let params = copyArrays(await optimizer.read());
    for (let step = 1; step <= c.steps; step++) {
      await optimizer.step(problem.gradient(params, step));
      const info = oracle.step(expected, toVectors(problem.gradient(expected, step)));
      params = copyArrays(await optimizer.read());
      const error = worstRelativeError(params, expected);
      worst = Math.max(worst, error);
      expect(error, `relative error after step ${step}`).toBeLessThanOrEqual(tolerance);
      expectDiagnostics(await optimizer.diagnostics(), info, tolerance, step);
    }
  } finally {
    await optimizer.dispose?.();
  }
  return worst;
}

/**
 * Registers the math tier for `adapter`: every A2S case, the baselines, the algorithm
 * defined outside core and `extraCases`, per dtype; a last test prints the worst
 * relative error per dtype.
 */
export function mathTier(adapter: AdapterDescription, extraCases: readonly MathCase[] = []): void {
  describe(`${adapter.name}: math tier`, () => {
    const worst: Partial<Record<FloatDType, number>> = {};
    for (const dtype of adapter.dtypes) {
      for (const c of [...A2S_CASES, ...BASELINE_CASES, OUTSIDE_CASE, ...extraCases]) {
        test(`${c.name}: ${c.steps} steps in ${dtype} match the float64 oracle`, async () => {
          const error = await compareWithOracle(adapter, c, dtype);
          worst[dtype] = Math.max(worst[dtype] ?? 0, error);
        });
      }
    }
    test("reports the worst relative error per dtype", () => {
      const report = adapter.dtypes.map((dtype) => `${dtype} ${worst[dtype]?.toExponential(2)}`).join(", ");
      console.log(`[${adapter.name}] math tier worst relative error: ${report}`);
      for (const dtype of adapter.dtypes) expect(worst[dtype], dtype).toBeLessThanOrEqual(TOLERANCE[dtype]);
    });
  });
}
