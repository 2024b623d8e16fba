/**
 * The engine backend of this package: state lives in plain typed arrays of each
 * tensor's dtype, parameters are the caller's arrays, updated in place.
 */
import { allocateLike, type EngineBackend, type FloatArray, firstNonFinite } from "@a2s/core";
import { typedArrayOps } from "./typed-ops.js";

export const hostBackend: EngineBackend<FloatArray> = Object.freeze({
  ops: typedArrayOps,
  zeros: (shape: readonly number[], dtype: "float32" | "float64") =>
    allocateLike(
      dtype,
      shape.reduce((a, b) => a * b, 1),
    ),
  fromHost: (values: FloatArray) => values.slice(),
  toHost: (value: FloatArray) => value.slice(),
  // A copy into the target, never a reference: the caller may refill a gradient buffer.
  assign: (target: FloatArray, value: FloatArray) => target.set(value),
  findNonFinite: firstNonFinite,
});
