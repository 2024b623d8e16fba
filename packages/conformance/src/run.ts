/** Driving an adapter through the test problem: the closed loop every tier uses. */
import type { FloatDType } from "@a2s/core";
import type {
  AdapterDescription,
  CreateSettings,
  HostArrays,
  OptimizerDescription,
  OptimizerUnderTest,
} from "./adapter.js";
import type { NoisyQuadratic } from "./problem.js";

/** A copy of each array, so that later steps cannot change what was recorded. */
export function copyArrays(arrays: Readonly<Record<string, ArrayLike<number>>>): HostArrays {
  return Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, Float64Array.from(v)]));
}

/** Gradients as the adapter will see them: values rounded to its dtype. */
export function roundTo(dtype: FloatDType, grads: HostArrays): HostArrays {
  if (dtype === "float64") return grads;
  return Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, Float64Array.from(v, Math.fround)]));
}

export function create(
  adapter: AdapterDescription,
  optimizer: OptimizerDescription,
  dtype: FloatDType,
  problem: NoisyQuadratic,
  params = problem.initialParams(),
  settings?: CreateSettings,
): Promise<OptimizerUnderTest> {
  return Promise.resolve(adapter.create(optimizer, params, dtype, settings));
}

/** Parameters as HostTensors of the problem's shapes, for `create`. */
export function asHostTensors(problem: NoisyQuadratic, params: HostArrays) {
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
): Promise<HostArrays[]> {
  const trajectory: HostArrays[] = [];
  let params = copyArrays(await optimizer.read());
  for (let step = from + 1; step <= to; step++) {
    await optimizer.step(problem.gradient(params, step));
    params = copyArrays(await optimizer.read());
    trajectory.push(params);
  }
  return trajectory;
}
