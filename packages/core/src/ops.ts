/**
 * The few tensor operations the transforms need. An adapter implements them for its
 * tensor type `T` (typed arrays, tfjs tensors, symbols of an ONNX graph); every
 * optimizer is written once, in this package, against this interface.
 *
 * A "scalar" is a `T` with one element. Binary operations broadcast a scalar operand
 * over the other one, so that data-dependent scalars (the curvature scale, the clipping
 * factor, a switch decision) stay on a device or in a graph: nothing in a step reads a
 * value back to the host unless a mode documents it.
 */
export interface ArrayOps<T> {
  /** A scalar `T` holding `value`, in the element type of `like`. */
  scalar(value: number, like: T): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  sqrt(a: T): T;
  /** Elementwise larger of the two (IEEE `max`; neither operand is ever NaN here). */
  maximum(a: T, b: T): T;
  /** Elementwise smaller of the two. */
  minimum(a: T, b: T): T;
  /** 1 where `a > b`, else 0, in the element type of `a`. */
  greater(a: T, b: T): T;
  /** `a` where `condition` is non-zero, else `b`; the unselected operand may be non-finite. */
  where(condition: T, a: T, b: T): T;
  /** Sum of all elements, as a scalar `T`. */
  sum(a: T): T;
  /** Sum of the squares of all elements, as a scalar `T`. */
  sumSquares(a: T): T;
  /**
   * A value computed on the host that changes from step to step (a scheduled learning
   * rate, a bias correction, the blend weight). `name` is unique within one step. Eager
   * backends leave this out and get `scalar(value, like)`; a graph backend turns it into
   * a graph input so that one recorded graph serves every step.
   */
  stepScalar?(name: string, value: number, like: T): T;
}

export function stepScalar<T>(ops: ArrayOps<T>, name: string, value: number, like: T): T {
  return ops.stepScalar ? ops.stepScalar(name, value, like) : ops.scalar(value, like);
}
