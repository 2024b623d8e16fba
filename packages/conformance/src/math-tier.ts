/**
 * Math tier: trajectories of the adapter against the float64 oracle, per dtype the
 * adapter computes in, every step compared within {@link TOLERANCE}.
 */
import type { FloatDType } from "@a2s/core";
import { describe, expect, test } from "vitest";
import type { AdapterDescription } from "./adapter.js";
import { TOLERANCE, worstRelativeError } from "./compare.js";
import { A2S_CONFIGURATIONS, BASELINE_CONFIGURATIONS, type Configuration } from "./configurations.js";
import { type BaselineKind, OracleA2S, OracleBaseline, type Vectors } from "./oracle.js";
import { NoisyQuadratic } from "./problem.js";
import { copyParams, create } from "./run.js";

const toVectors = (params: Readonly<Record<string, ArrayLike<number>>>): Vectors =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.from(v)]));

/** Relative difference of two host scalars; absolute below 1, where a relative one would mislead. */
const scalarError = (a: number, e: number) => Math.abs(a - e) / Math.max(1, Math.abs(e));

async function compareTrajectory(
  adapter: AdapterDescription,
  config: Configuration,
  dtype: FloatDType,
  worst: Partial<Record<FloatDType, number>>,
): Promise<void> {
  const problem = new NoisyQuadratic(config.seed);
  const optimizer = await create(adapter, config.kind, config.options, dtype, problem);
  const a2sOracle = config.kind === "A2S" ? new OracleA2S(config.options) : undefined;
  const baselineOracle =
    config.kind === "A2S" ? undefined : new OracleBaseline(config.kind as BaselineKind, config.options);
  const expected = toVectors(
    Object.fromEntries(Object.entries(problem.initialParams()).map(([k, v]) => [k, v.data])),
  );
  const tolerance = TOLERANCE[dtype];
  try {
    let params = copyParams(await optimizer.read());
    for (let step = 1; step <= config.steps; step++) {
      await optimizer.step(problem.gradient(params, step));
      const oracleGrads = toVectors(problem.gradient(expected, step));
      const info = a2sOracle?.step(expected, oracleGrads);
      baselineOracle?.step(expected, oracleGrads);
      params = copyParams(await optimizer.read());
      const error = worstRelativeError(params, expected);
      worst[dtype] = Math.max(worst[dtype] ?? 0, error);
      expect(error, `relative error after step ${step}`).toBeLessThanOrEqual(tolerance);
      if (info && optimizer.diagnostics) {
        const d = await optimizer.diagnostics();
        expect(d.t, "diagnostics.t").toBe(step);
        // w is computed on the host in float64 from integers: only the arrangement of the
        // formula may move its last bit.
        expect(Math.abs(d.w - info.w), `w at step ${step}`).toBeLessThanOrEqual(1e-15);
        expect(scalarError(d.curvature, info.curvature), `curvature at step ${step}`).toBeLessThanOrEqual(
          tolerance,
        );
        expect(scalarError(d.lrScale, info.lrScale), `lrScale at step ${step}`).toBeLessThanOrEqual(
          tolerance,
        );
        const { lrAdam, lrSgd } = (a2sOracle as OracleA2S).o;
        const effective: [string, number, number][] = [
          ["lrAdam", d.lrAdam, lrAdam * info.lrScale],
          ["lrSgd", d.lrSgd, lrSgd * info.lrScale],
        ];
        for (const [what, actual, expected] of effective) {
          expect(
            Math.abs(actual - expected) / expected,
            `effective ${what} at step ${step}`,
          ).toBeLessThanOrEqual(tolerance);
        }
      }
    }
  } finally {
    await optimizer.dispose?.();
  }
}

/**
 * Registers the math tier for `adapter`: every A2S configuration, and the baselines the
 * adapter offers, per dtype; a last test prints the worst relative error per dtype.
 */
export function mathTier(adapter: AdapterDescription): void {
  describe(`${adapter.name}: math tier`, () => {
    const worst: Partial<Record<FloatDType, number>> = {};
    const configurations = [
      ...A2S_CONFIGURATIONS,
      ...BASELINE_CONFIGURATIONS.filter((c) => adapter.kinds.includes(c.kind)),
    ];
    for (const dtype of adapter.dtypes) {
      for (const config of configurations) {
        test(`${config.kind} ${config.name}: ${config.steps} steps in ${dtype} match the float64 oracle`, () =>
          compareTrajectory(adapter, config, dtype, worst));
      }
    }
    test("reports the worst relative error per dtype", () => {
      const report = adapter.dtypes.map((dtype) => `${dtype} ${worst[dtype]?.toExponential(2)}`).join(", ");
      console.log(`[${adapter.name}] math tier worst relative error: ${report}`);
      for (const dtype of adapter.dtypes) expect(worst[dtype], dtype).toBeLessThanOrEqual(TOLERANCE[dtype]);
    });
  });
}
