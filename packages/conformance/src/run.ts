/** Driving an adapter through the test problem: the closed loop every tier uses. */
import type { FloatDType } from "@a2s/core";
import type { AdapterDescription, OptimizerKind, OptimizerUnderTest } from "./adapter.js";
import type { NoisyQuadratic } from "./problem.js";

export type HostParams = Record<string, Float64Array>;

/** A copy of each array, so that later steps cannot change what was recorded. */
export function copyParams(params: Readonly<Record<string, ArrayLike<number>>>): HostParams {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]));
}

/** Gradients as the adapter will see them: values rounded to its dtype. */
export function roundTo(dtype: FloatDType, grads: HostParams): HostParams {
  if (dtype === "float64") return grads;
  return Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, Float64Array.from(v, Math.fround)]));
}

export function create(
  adapter: AdapterDescription,
  kind: OptimizerKind,
  options: Record<string, number>,
  dtype: FloatDType,
  problem: NoisyQuadratic,
  params = problem.initialParams(),
): Promise<OptimizerUnderTest> {
  return Promise.resolve(adapter.create(kind, options, params, dtype));
}

/** Parameters as HostTensors of the problem's shapes, for `create`. */
export function asHostTensors(problem: NoisyQuadratic, params: HostParams) {
  const shapes = problem.initialParams();
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [
      k,
      { shape: shapes[k]?.shape ?? [v.length], data: Float64Array.from(v) },
    ]),
  );
}

/**
 * Steps `optimizer` from step `from + 1` through `to`, each gradient computed at its
 * current parameters, and returns the parameters read after each step.
 */
export async function runSteps(
  optimizer: OptimizerUnderTest,
  problem: NoisyQuadratic,
  from: number,
  to: number,
): Promise<HostParams[]> {
  const trajectory: HostParams[] = [];
  let params = copyParams(await optimizer.read());
  for (let step = from + 1; step <= to; step++) {
    await optimizer.step(problem.gradient(params, step));
    params = copyParams(await optimizer.read());
    trajectory.push(params);
  }
  return trajectory;
}
