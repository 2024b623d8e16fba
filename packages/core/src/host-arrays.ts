/**
 * Checks shared by every adapter whose tensors can be read on the host as float arrays
 * (typed arrays, brain.js layers, onnxruntime feeds). They throw before anything changes.
 */
import { NonFiniteGradientError, TensorMismatchError } from "./errors.js";

export type FloatArray = Float32Array | Float64Array;
export type FloatDType = "float32" | "float64";

export function isFloatArray(value: unknown): value is FloatArray {
  return value instanceof Float32Array || value instanceof Float64Array;
}

export function dtypeOf(array: FloatArray): FloatDType {
  return array instanceof Float64Array ? "float64" : "float32";
}

export function allocateLike(dtype: FloatDType, length: number): FloatArray {
  return dtype === "float64" ? new Float64Array(length) : new Float32Array(length);
}

/**
 * Checks that `given` holds exactly the tensor names in `expected` and that each value is a
 * Float32Array or Float64Array. `what` names the role ("gradient", "parameter") in errors.
 */
export function checkTensorNames(
  expected: readonly string[],
  given: Readonly<Record<string, unknown>>,
  what: string,
): void {
  if (typeof given !== "object" || given === null) {
    throw new TensorMismatchError("(all)", "type", "a record of Float32Array or Float64Array", given, what);
  }
  const known = new Set(expected);
  for (const name of Object.keys(given)) {
    if (!known.has(name)) throw new TensorMismatchError(name, "unexpected", expected, name, what);
  }
  for (const name of expected) {
    if (!(name in given))
      throw new TensorMismatchError(name, "missing", `the optimizer holds ${name}`, undefined, what);
    const value = given[name];
    if (!isFloatArray(value)) {
      throw new TensorMismatchError(name, "type", "a Float32Array or Float64Array", value, what);
    }
  }
}

/** Throws {@link NonFiniteGradientError} at the first NaN or ±Infinity in `grad`. */
export function checkFinite(name: string, grad: ArrayLike<number>): void {
  for (let i = 0; i < grad.length; i++) {
    const x = grad[i] as number;
    // x - x is 0 for every finite x and NaN otherwise: one comparison per element.
    if (x - x !== 0) throw new NonFiniteGradientError(name, i, x);
  }
}

/** Checks that a gradient matches its parameter in length and element type. */
export function checkPair(name: string, param: FloatArray, grad: FloatArray): void {
  if (grad.length !== param.length) {
    throw new TensorMismatchError(name, "length", param.length, grad.length, "gradient");
  }
  if (dtypeOf(grad) !== dtypeOf(param)) {
    throw new TensorMismatchError(name, "dtype", dtypeOf(param), dtypeOf(grad), "gradient");
  }
}
