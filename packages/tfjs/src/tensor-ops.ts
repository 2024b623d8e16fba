import type { ArrayOps, StepScalarName } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";

type Operation = "add" | "sub" | "mul" | "square" | "div" | "sqrt" | "sumSquares";

/**
 * A value of one step's computation: a tensor, a scalar known on the host, or an
 * operation not run yet. Core's `a2sUpdate` builds these; {@link TensorOps.evaluate} runs
 * only the operations an output needs.
 */
export class Expr {
  #tensor: tf.Tensor | undefined;
  private constructor(
    readonly operation: Operation | undefined,
    readonly args: readonly Expr[],
    /** The exact value, for scalars known on the host. */
    readonly value: number | undefined,
    tensor: tf.Tensor | undefined,
    /** A host scalar that changes from step to step: made when needed, never cached. */
    readonly transient = false,
  ) {
    this.#tensor = tensor;
  }

  static of(tensor: tf.Tensor): Expr {
    return new Expr(undefined, [], undefined, tensor);
  }
  static constant(value: number, transient = false): Expr {
    return new Expr(undefined, [], value, undefined, transient);
  }
  static apply(operation: Operation, ...args: Expr[]): Expr {
    return new Expr(operation, args, undefined, undefined);
  }

  get isZero(): boolean {
    return this.value === 0;
  }
  get isOne(): boolean {
    return this.value === 1;
  }
  /** @internal */
  get tensor(): tf.Tensor | undefined {
    return this.#tensor;
  }
  /** @internal */
  set tensor(tensor: tf.Tensor) {
    this.#tensor = tensor;
  }
}

/**
 * Core's {@link ArrayOps} over tfjs, built to run as few kernels as the step needs:
 *
 * - exact identities are applied before anything runs (`x * 1`, `x + 0`, `x / 1`), and a
 *   product with an exact 0 (the blend weight in the pure-Adam and pure-SGD phases) is 0
 *   without computing its other factor, so those phases skip the unused half of the step.
 *   That other factor is finite whenever the gradients are, so 0 is the product IEEE
 *   arithmetic gives;
 * - the curvature's `sumSquares(g - prev)` runs as `squaredDifference` and `sum`, and
 *   `g * g` as `square`;
 * - hyperparameter scalars are uploaded once and kept until {@link TensorOps.dispose};
 *   schedule values that change every step are made when evaluated, inside the caller's
 *   `tf.tidy`.
 */
export class TensorOps implements ArrayOps<Expr> {
  readonly #constants = new Map<number, tf.Scalar>();
  readonly #cachedTensors = new Set<tf.Tensor>();
  readonly #zero = Expr.constant(0);

  /**
   * A hyperparameter. Its tensor is made now, even if this step's phase never evaluates
   * it, so that every kept tensor exists from the first step on.
   */
  scalar(value: number): Expr {
    this.#scalar(value);
    return Expr.constant(value);
  }

  /** Schedule values: the exact 0 and 1 of the long pure phases are cached, others are not. */
  stepScalar(_name: StepScalarName, value: number): Expr {
    return Expr.constant(value, value !== 0 && value !== 1);
  }

  add(a: Expr, b: Expr): Expr {
    if (a.isZero) return b;
    if (b.isZero) return a;
    return Expr.apply("add", a, b);
  }
  sub(a: Expr, b: Expr): Expr {
    return b.isZero ? a : Expr.apply("sub", a, b);
  }
  mul(a: Expr, b: Expr): Expr {
    if (a.isOne) return b;
    if (b.isOne) return a;
    if (a.isZero || b.isZero) return this.#zero;
    // g * g: one unary kernel, the same product.
    return a === b ? Expr.apply("square", a) : Expr.apply("mul", a, b);
  }
  div(a: Expr, b: Expr): Expr {
    return b.isOne ? a : Expr.apply("div", a, b);
  }
  sqrt(a: Expr): Expr {
    return a.isZero || a.isOne ? a : Expr.apply("sqrt", a);
  }
  sumSquares(a: Expr): Expr {
    return Expr.apply("sumSquares", a);
  }

  /** The tensor of `expr`, running what it needs (once: results are remembered). */
  evaluate(expr: Expr): tf.Tensor {
    if (expr.tensor !== undefined) return expr.tensor;
    let tensor: tf.Tensor;
    if (expr.value === undefined) tensor = this.#run(expr);
    else tensor = expr.transient ? tf.scalar(expr.value, "float32") : this.#scalar(expr.value);
    expr.tensor = tensor;
    return tensor;
  }

  #scalar(value: number): tf.Tensor {
    // 0 and 1 come with the first constant: the schedule's phases ask for them at
    // different steps (as w and 1 - w), and the kept set should not grow after step 1.
    if (this.#constants.size === 0) for (const preset of [0, 1]) this.#keep(preset);
    return this.#constants.get(value) ?? this.#keep(value);
  }

  #keep(value: number): tf.Tensor {
    // keep: the cache outlives the tidy scope of the step that first asked.
    const tensor = tf.keep(tf.scalar(value, "float32"));
    this.#constants.set(value, tensor);
    this.#cachedTensors.add(tensor);
    return tensor;
  }

  #run({ operation, args }: Expr): tf.Tensor {
    const [a, b] = args as [Expr, Expr];
    switch (operation) {
      case "add":
        return tf.add(this.evaluate(a), this.evaluate(b));
      case "sub":
        return tf.sub(this.evaluate(a), this.evaluate(b));
      case "mul":
        return tf.mul(this.evaluate(a), this.evaluate(b));
      case "square":
        return tf.square(this.evaluate(a));
      case "div":
        return tf.div(this.evaluate(a), this.evaluate(b));
      case "sqrt":
        return tf.sqrt(this.evaluate(a));
      case "sumSquares":
        // One fused kernel for the curvature's (g - prev)^2 instead of sub and square.
        return a.operation === "sub" && a.tensor === undefined
          ? tf.sum(tf.squaredDifference(this.evaluate(a.args[0] as Expr), this.evaluate(a.args[1] as Expr)))
          : tf.sum(tf.square(this.evaluate(a)));
      default:
        throw new Error("an Expr without operation or value");
    }
  }

  /** True for the kept scalars of the cache, which only {@link TensorOps.dispose} frees. */
  isCached(tensor: tf.Tensor): boolean {
    return this.#cachedTensors.has(tensor);
  }

  /** `tf.keep` for a result that must outlive the step; cached scalars are kept already. */
  keep(tensor: tf.Tensor): tf.Tensor {
    return this.isCached(tensor) ? tensor : tf.keep(tensor);
  }

  /** Frees the cached scalars. */
  dispose(): void {
    for (const tensor of this.#constants.values()) tensor.dispose();
    this.#constants.clear();
    this.#cachedTensors.clear();
  }
}
