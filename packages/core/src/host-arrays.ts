/**
 * Checks shared by every adapter whose tensors can be read on the host as float arrays
 * (typed arrays, brain.js layers, onnxruntime feeds). They throw before anything changes.
 */
import { TensorMismatchError } from "./errors.js";

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

/** Flat float arrays by tensor name: what @a2s/typed and @a2s/onnxruntime users pass. */
export type TensorRecord = Readonly<Record<string, FloatArray>>;

/** A parameter and its gradient. */
export interface TensorPair {
  readonly name: string;
  readonly param: FloatArray;
  readonly grad: FloatArray;
}

function checkRecord(given: unknown, what: string): Record<string, unknown> {
  if (typeof given !== "object" || given === null || Array.isArray(given) || ArrayBuffer.isView(given)) {
    throw new TensorMismatchError("(all)", "type", "a record of Float32Array or Float64Array", given, what);
  }
  return given as Record<string, unknown>;
}

/**
 * Pairs each parameter with its gradient, in the parameters' order: both records must
 * hold the same names, every value a Float32Array or Float64Array, and each gradient the
 * length and dtype of its parameter.
 *
 * @throws TensorMismatchError naming the first tensor that does not fit.
 */
export function pairTensors(params: unknown, grads: unknown): TensorPair[] {
  const paramRecord = checkRecord(params, "parameter");
  const gradRecord = checkRecord(grads, "gradient");
  const names = Object.keys(paramRecord);
  for (const name of names) {
    const param = paramRecord[name];
    if (!isFloatArray(param)) {
      throw new TensorMismatchError(name, "type", "a Float32Array or Float64Array", param, "parameter");
    }
  }
  for (const name of Object.keys(gradRecord)) {
    if (!Object.hasOwn(paramRecord, name)) {
      throw new TensorMismatchError(name, "unexpected", names, name, "gradient");
    }
  }
  return names.map((name) => {
    const param = paramRecord[name] as FloatArray;
    if (!Object.hasOwn(gradRecord, name)) {
      throw new TensorMismatchError(name, "missing", `the parameters hold ${name}`, undefined, "gradient");
    }
    const grad = gradRecord[name];
    if (!isFloatArray(grad)) {
      throw new TensorMismatchError(name, "type", "a Float32Array or Float64Array", grad, "gradient");
    }
    if (grad.length !== param.length) {
      throw new TensorMismatchError(name, "length", param.length, grad.length, "gradient");
    }
    if (dtypeOf(grad) !== dtypeOf(param)) {
      throw new TensorMismatchError(name, "dtype", dtypeOf(param), dtypeOf(grad), "gradient");
    }
    return { name, param, grad };
  });
}

/** The first NaN or ±Infinity among `arrays`: which array, which element, what value. */
export function firstNonFinite(
  arrays: readonly ArrayLike<number>[],
): { which: number; index: number; value: number } | undefined {
  for (let which = 0; which < arrays.length; which++) {
    const array = arrays[which] as ArrayLike<number>;
    for (let i = 0; i < array.length; i++) {
      const x = array[i] as number;
      // x - x is 0 for every finite x and NaN otherwise: one comparison per element.
      if (x - x !== 0) return { which, index: i, value: x };
    }
  }
  return undefined;
}
