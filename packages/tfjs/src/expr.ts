/**
 * A value of one step as the engine's transforms build it: a constant known on the host,
 * a caller's tensor, an optimizer state cell, or an operation not run yet.
 * {@link TensorOps} builds these and runs only the operations an output needs.
 */
import type { FloatArray } from "@a2s/core";
import type * as tf from "@tensorflow/tfjs-core";

export type Operation =
  | "add"
  | "sub"
  | "mul"
  | "square"
  | "div"
  | "sqrt"
  | "maximum"
  | "minimum"
  | "greater"
  | "where"
  | "sum"
  | "sumSquares";

/**
 * Where one piece of optimizer state lives. Until a step commits into it, it holds no
 * tensor: zeros, or values from a checkpoint (`host`), so that nothing is allocated on
 * the device for a step that is then refused. A `variable` beside `host` values is only
 * their float32 view for `getWeights`.
 */
export interface StateCell {
  variable: tf.Variable | undefined;
  /** In the dtype it was loaded in: the engine casts it to the tensors' float32 at their first step. */
  host: FloatArray | undefined;
  readonly shape: readonly number[];
  /** Smallest and largest value, when known (kept by the finite proof from step to step). */
  range: readonly [number, number] | undefined;
}

type Origin =
  /** An exact number: a hyperparameter, a host value of the step, or a folded result. */
  | "constant"
  /** A tensor the caller owns: a variable being optimized or a gradient. */
  | "input"
  /** Optimizer state. */
  | "state"
  /** An operation of this step, run when first evaluated. */
  | "operation"
  /** A tensor this package made (a guarded result, a kept diagnostic). */
  | "tensor";

export class Expr {
  readonly #tensor: tf.Tensor | undefined;
  private constructor(
    readonly origin: Origin,
    readonly operation: Operation | undefined,
    readonly args: readonly Expr[],
    readonly constant: number | undefined,
    /** For step values (`stepScalar`): the name under which the host value is cached. */
    readonly hostName: string | undefined,
    readonly cell: StateCell | undefined,
    tensor: tf.Tensor | undefined,
  ) {
    this.#tensor = tensor;
  }

  static input(tensor: tf.Tensor): Expr {
    return new Expr("input", undefined, [], undefined, undefined, undefined, tensor);
  }
  static tensor(tensor: tf.Tensor): Expr {
    return new Expr("tensor", undefined, [], undefined, undefined, undefined, tensor);
  }
  static constant(value: number, hostName?: string): Expr {
    return new Expr("constant", undefined, [], value, hostName, undefined, undefined);
  }
  static state(shape: readonly number[], host?: FloatArray): Expr {
    const cell: StateCell = { variable: undefined, host, shape: [...shape], range: undefined };
    return new Expr("state", undefined, [], undefined, undefined, cell, undefined);
  }
  static apply(operation: Operation, ...args: Expr[]): Expr {
    return new Expr("operation", operation, args, undefined, undefined, undefined, undefined);
  }

  /** The exact value when known on the host: constants, and state that is still all zeros. */
  get value(): number | undefined {
    if (this.cell !== undefined) {
      return this.cell.variable === undefined && this.cell.host === undefined ? 0 : undefined;
    }
    return this.constant;
  }
  get isZero(): boolean {
    return this.value === 0;
  }
  get isOne(): boolean {
    return this.value === 1;
  }

  /** The tensor of an input or a made tensor; a state cell's variable, unless it holds host values. */
  get tensor(): tf.Tensor | undefined {
    const { cell } = this;
    if (cell !== undefined) return cell.host === undefined ? cell.variable : undefined;
    return this.#tensor;
  }
}
