/**
 * The few tensor operations the optimizers need. An adapter implements them for its
 * tensor type `T` (typed arrays, tfjs tensors, symbols of an ONNX graph); the update
 * itself is written once, in this package, against this interface.
 *
 * A "scalar" is a `T` with one element. Binary operations broadcast a scalar operand
 * over the other one, so scalars may stay on a device or in a graph: nothing in an
 * update reads a value back to the host.
 */
export interface ArrayOps<T> {
  /** A scalar `T` holding `value`, in the element type of `like`. */
  scalar(value: number, like: T): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  sqrt(a: T): T;
  /** Sum of the squares of all elements, as a scalar `T`. */
  sumSquares(a: T): T;
  /**
   * A value that changes from step to step (see {@link StepScalarName}). Eager backends
   * leave this out and get `scalar(value, like)`; a graph backend turns it into a graph
   * input so one graph serves every step.
   */
  stepScalar?(name: StepScalarName, value: number, like: T): T;
}

/** Values of the schedule that differ between steps. */
export type StepScalarName = "w" | "oneMinusW" | "biasCorrection1" | "biasCorrection2";

export function stepScalar<T>(ops: ArrayOps<T>, name: StepScalarName, value: number, like: T): T {
  return ops.stepScalar ? ops.stepScalar(name, value, like) : ops.scalar(value, like);
}
