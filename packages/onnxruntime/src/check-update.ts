/**
 * The checks an update makes before anything changes, with core's host-array helpers:
 * tensor names, types, lengths, one element type throughout, finite gradients.
 */
import {
  checkFinite,
  checkPair,
  checkTensorNames,
  dtypeOf,
  type FloatArray,
  TensorMismatchError,
} from "@a2s/core";
import type { TensorLayout } from "./optimizer-state.js";

/**
 * Checks `params` and `grads` against `layout`, or, before the first step, against each
 * other; returns the layout the step runs with. `shapes` names shapes for checkpoints
 * (default: one axis of the array's length).
 */
export function checkUpdate(
  layout: TensorLayout | undefined,
  params: Readonly<Record<string, FloatArray>>,
  grads: Readonly<Record<string, FloatArray>>,
  shapes?: Readonly<Record<string, readonly number[]>>,
): TensorLayout {
  const names = layout?.names ?? Object.keys(params ?? {});
  checkTensorNames(names, params, "parameter");
  checkTensorNames(names, grads, "gradient");
  const first = names[0] === undefined ? undefined : params[names[0]];
  if (first === undefined) {
    throw new TensorMismatchError("(all)", "missing", "at least one parameter", 0, "parameter");
  }
  const dtype = layout?.dtype ?? dtypeOf(first);
  names.forEach((name, i) => {
    const param = params[name] as FloatArray;
    const grad = grads[name] as FloatArray;
    // One graph computes every tensor, in one element type.
    if (dtypeOf(param) !== dtype)
      throw new TensorMismatchError(name, "dtype", dtype, dtypeOf(param), "parameter");
    const length = layout ? (layout.shapes[i] as number[]).reduce((a, b) => a * b, 1) : param.length;
    if (param.length !== length)
      throw new TensorMismatchError(name, "length", length, param.length, "parameter");
    checkPair(name, param, grad);
    checkFinite(name, grad);
  });
  if (layout) return layout;
  return {
    names,
    dtype,
    shapes: names.map((name) => checkShape(name, shapes?.[name], params[name] as FloatArray)),
  };
}

function checkShape(name: string, shape: readonly number[] | undefined, param: FloatArray): number[] {
  if (shape === undefined) return [param.length];
  if (shape.reduce((a, b) => a * b, 1) !== param.length) {
    throw new TensorMismatchError(
      name,
      "length",
      `the ${shape.join("x")} of its shape`,
      param.length,
      "parameter",
    );
  }
  return [...shape];
}
