import type { ArrayOps } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import { Expr } from "./expr.js";

/**
 * Core's {@link ArrayOps} over tfjs, built to run as few kernels as a step needs:
 *
 * - exact identities are applied before anything runs (`x * 1`, `x + 0`, `x / 1`), and a
 *   product with an exact 0 (the blend weight in the pure-Adam and pure-SGD phases, state
 *   that is still all zeros) is 0 without computing its other factor, so those phases
 *   skip the unused half of the step. A `where` whose condition is known on the host
 *   (the first-step test) runs only the branch it takes;
 * - `sumSquares(a - b)` runs as `squaredDifference` and `sum`, and `x * x` as `square`;
 * - hyperparameter scalars are uploaded once; a step value (`stepScalar`) is uploaded again
 *   only when it differs from the value of the same name at the step before, so a constant
 *   learning rate or blend weight costs no upload per step. Both caches are emptied by
 *   {@link TensorOps.clear}.
 *
 * Results are made in the caller's `tf.tidy` scope; only cached scalars are kept.
 */
export class TensorOps implements ArrayOps<Expr> {
  readonly #constants = new Map<number, tf.Tensor>();
  readonly #stepValues = new Map<string, { value: number; tensor: tf.Tensor }>();
  /** Uploads of state held on the host, once per step (see {@link TensorOps.beginStep}). */
  #uploads = new Map<Expr, tf.Tensor>();

  scalar(value: number): Expr {
    return Expr.constant(value);
  }
  stepScalar(name: string, value: number): Expr {
    return Expr.constant(value, name);
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
    // The product IEEE arithmetic gives whenever the other factor is finite; a non-finite
    // factor here is a result the engine checks (and refuses) on its own.
    if (a.isZero || b.isZero) return Expr.constant(0);
    return a === b ? Expr.apply("square", a) : Expr.apply("mul", a, b);
  }
  div(a: Expr, b: Expr): Expr {
    return b.isOne ? a : Expr.apply("div", a, b);
  }
  sqrt(a: Expr): Expr {
    return a.isZero || a.isOne ? a : Expr.apply("sqrt", a);
  }
  maximum(a: Expr, b: Expr): Expr {
    return Expr.apply("maximum", a, b);
  }
  minimum(a: Expr, b: Expr): Expr {
    return Expr.apply("minimum", a, b);
  }
  greater(a: Expr, b: Expr): Expr {
    return Expr.apply("greater", a, b);
  }
  where(condition: Expr, a: Expr, b: Expr): Expr {
    const known = condition.value;
    if (known !== undefined) return known !== 0 ? a : b;
    return Expr.apply("where", condition, a, b);
  }
  sum(a: Expr): Expr {
    return Expr.apply("sum", a);
  }
  sumSquares(a: Expr): Expr {
    return Expr.apply("sumSquares", a);
  }

  /** Forgets the uploads of the step before; call before a step evaluates anything. */
  beginStep(): void {
    this.#uploads = new Map();
  }

  /** The tensor of `expr`, running what it needs (once per expression). */
  evaluate(expr: Expr): tf.Tensor {
    const known = expr.tensor;
    if (known !== undefined) return known;
    const { cell } = expr;
    if (cell !== undefined) {
      if (cell.host === undefined) return this.#constant(0);
      let upload = this.#uploads.get(expr);
      if (upload === undefined) {
        const values = cell.host instanceof Float32Array ? cell.host : Float32Array.from(cell.host);
        upload = tf.tensor(values, [...cell.shape], "float32");
        this.#uploads.set(expr, upload);
      }
      return upload;
    }
    const { constant, hostName } = expr;
    let tensor: tf.Tensor;
    if (constant !== undefined) {
      tensor = hostName === undefined ? this.#constant(constant) : this.#stepValue(hostName, constant);
    } else {
      tensor = this.#run(expr);
    }
    expr.tensor = tensor;
    return tensor;
  }

  #constant(value: number): tf.Tensor {
    let tensor = this.#constants.get(value);
    if (tensor === undefined) {
      // keep: the cache outlives the tidy scope of the step that first asked.
      tensor = tf.keep(tf.scalar(value, "float32"));
      this.#constants.set(value, tensor);
    }
    return tensor;
  }

  #stepValue(name: string, value: number): tf.Tensor {
    const cached = this.#stepValues.get(name);
    if (cached !== undefined && Object.is(cached.value, value)) return cached.tensor;
    cached?.tensor.dispose();
    const tensor = tf.keep(tf.scalar(value, "float32"));
    this.#stepValues.set(name, { value, tensor });
    return tensor;
  }

  #run(expr: Expr): tf.Tensor {
    const [a, b, c] = expr.args as [Expr, Expr, Expr];
    const x = () => this.evaluate(a);
    const y = () => this.evaluate(b);
    switch (expr.operation) {
      case "add":
        return tf.add(x(), y());
      case "sub":
        return tf.sub(x(), y());
      case "mul":
        return tf.mul(x(), y());
      case "square":
        return tf.square(x());
      case "div":
        return tf.div(x(), y());
      case "sqrt":
        return tf.sqrt(x());
      case "maximum":
        return tf.maximum(x(), y());
      case "minimum":
        return tf.minimum(x(), y());
      case "greater":
        return tf.cast(tf.greater(x(), y()), "float32");
      case "where":
        return tf.where(tf.cast(x(), "bool"), y(), this.evaluate(c));
      case "sum":
        return tf.sum(x());
      case "sumSquares":
        // One fused kernel for the curvature's (g - prev)^2 instead of sub and square.
        return a.operation === "sub" && a.tensor === undefined
          ? tf.sum(tf.squaredDifference(this.evaluate(a.args[0] as Expr), this.evaluate(a.args[1] as Expr)))
          : tf.sum(tf.square(x()));
      default:
        throw new Error(`an expression of no operation (${expr.origin})`);
    }
  }

  /** Frees the cached scalars (options changed, or the optimizer is disposed). */
  clear(): void {
    for (const tensor of this.#constants.values()) tensor.dispose();
    for (const { tensor } of this.#stepValues.values()) tensor.dispose();
    this.#constants.clear();
    this.#stepValues.clear();
  }
}
