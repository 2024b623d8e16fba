import { TensorMismatchError } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";

/** A tensor with a name, as tfjs optimizers exchange them (tfjs-core does not export its own). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** One variable of a step with its gradient. */
export interface VariableGradient {
  readonly name: string;
  readonly variable: tf.Variable;
  readonly grad: tf.Tensor;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/**
 * Reads the argument of `applyGradients` (a `NamedTensorMap` or a `NamedTensor[]`, as
 * tfjs's own optimizers take) into a list in the caller's order, checking that every name
 * is a registered variable and every gradient a live float32 tensor of its shape.
 *
 * @throws TensorMismatchError naming the first gradient that does not fit.
 */
export function readGradients(given: tf.NamedTensorMap | NamedTensor[]): VariableGradient[] {
  if (typeof given !== "object" || given === null) {
    throw new TensorMismatchError("(all)", "type", "a NamedTensorMap or NamedTensor[]", given, "gradient");
  }
  const pairs: [string, unknown][] = Array.isArray(given)
    ? given.map((entry) => [entry?.name, entry?.tensor])
    : Object.entries(given);
  const registered = tf.engine().registeredVariables;
  const seen = new Set<string>();
  return pairs.map(([name, grad]) => {
    if (typeof name !== "string") {
      throw new TensorMismatchError(String(name), "type", "a variable name (string)", name, "gradient");
    }
    if (seen.has(name)) throw new TensorMismatchError(name, "unexpected", "each name once", name, "gradient");
    seen.add(name);
    // Own properties only: "constructor" or "toString" must not find Object's members.
    const variable = Object.hasOwn(registered, name) ? registered[name] : undefined;
    if (variable === undefined) {
      throw new TensorMismatchError(name, "unexpected", "names of registered tf.Variables", name, "gradient");
    }
    if (!(grad instanceof tf.Tensor) || grad.isDisposed) {
      throw new TensorMismatchError(name, "type", "a live tf.Tensor", grad, "gradient");
    }
    if (!sameShape(grad.shape, variable.shape)) {
      throw new TensorMismatchError(
        name,
        "length",
        `shape [${variable.shape}]`,
        `shape [${grad.shape}]`,
        "gradient",
      );
    }
    if (grad.dtype !== "float32" || variable.dtype !== "float32") {
      throw new TensorMismatchError(
        name,
        "dtype",
        "float32",
        `${grad.dtype} (variable ${variable.dtype})`,
        "gradient",
      );
    }
    return { name, variable, grad };
  });
}

/**
 * Checks the first step's gradients against the variables given as `varList`: the engine
 * fixes the variable set from that step, so a forgotten gradient would go unnoticed.
 *
 * @throws TensorMismatchError a variable of `varList` without a gradient, or a gradient of
 * another variable.
 */
export function checkVarList(varList: readonly string[], gradients: readonly VariableGradient[]): void {
  for (const { name } of gradients) {
    if (!varList.includes(name)) throw new TensorMismatchError(name, "unexpected", varList, name, "gradient");
  }
  for (const name of varList) {
    if (!gradients.some((gradient) => gradient.name === name)) {
      throw new TensorMismatchError(name, "missing", `varList holds ${name}`, undefined, "gradient");
    }
  }
}
