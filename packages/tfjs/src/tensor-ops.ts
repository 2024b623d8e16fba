import type { ArrayOps } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import { Expr, type Operation } from "./expr.js";

/** The kernels of the operations, and the curvature's sum of squared differences. */
export type Kernel = Operation | "squaredDifferenceSum";

/** What replaces a recorded step's inputs and host values when it is replayed. */
export interface StepBindings {
  readonly inputs?: ReadonlyMap<Expr, tf.Tensor>;
  readonly hostValues?: ReadonlyMap<string, number>;
}

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
  /** This step's results, by expression (see {@link TensorOps.beginStep}). */
  #memo = new Map<Expr, tf.Tensor>();
  #bindings: StepBindings = {};

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

  /**
   * Starts a step: forgets the results of the step before. A replayed step (see
   * step-trace.ts) gives the tensors that replace the recorded inputs and this step's
   * host values.
   */
  beginStep(bindings: StepBindings = {}): void {
    this.#memo = new Map();
    this.#bindings = bindings;
  }

  /** The exact value of `expr` at this step, if known on the host. */
  valueOf(expr: Expr): number | undefined {
    const { hostName } = expr;
    return (hostName === undefined ? undefined : this.#bindings.hostValues?.get(hostName)) ?? expr.value;
  }

  /** The tensor of `expr`, running what it needs (once per expression and step). */
  evaluate(expr: Expr): tf.Tensor {
    let tensor = this.#memo.get(expr);
    if (tensor !== undefined) return tensor;
    const { operation } = expr;
    if (operation === undefined) {
      tensor = this.leaf(expr);
    } else {
      const [a, b, c] = expr.args as [Expr, Expr | undefined, Expr | undefined];
      if (operation === "sumSquares" && a.operation === "sub" && !this.#memo.has(a)) {
        // One fused kernel for the curvature's (g - prev)^2 instead of sub and square.
        tensor = this.kernel(
          "squaredDifferenceSum",
          this.evaluate(a.args[0] as Expr),
          this.evaluate(a.args[1] as Expr),
        );
      } else {
        tensor = this.kernel(
          operation,
          this.evaluate(a),
          b === undefined ? undefined : this.evaluate(b),
          c === undefined ? undefined : this.evaluate(c),
        );
      }
    }
    this.#memo.set(expr, tensor);
    return tensor;
  }

  /** The tensor of a leaf: an input (or what replaces it), a made tensor, state, a constant. */
  leaf(expr: Expr): tf.Tensor {
    if (expr.origin === "input") return this.#bindings.inputs?.get(expr) ?? (expr.tensor as tf.Tensor);
    if (expr.origin === "tensor") return expr.tensor as tf.Tensor;
    const { cell } = expr;
    if (cell !== undefined) {
      if (cell.host === undefined) return cell.variable ?? this.#constant(0);
      const values = cell.host instanceof Float32Array ? cell.host : Float32Array.from(cell.host);
      return tf.tensor(values, [...cell.shape], "float32");
    }
    if (expr.hostName !== undefined) return this.#stepValue(expr.hostName, this.valueOf(expr) as number);
    return this.#constant(expr.constant as number);
  }

  /** One operation on evaluated operands; `squaredDifferenceSum` is Σ(x − y)² in one kernel and a sum. */
  kernel(operation: Kernel, x: tf.Tensor, y?: tf.Tensor, z?: tf.Tensor): tf.Tensor {
    const second = y as tf.Tensor;
    switch (operation) {
      case "add":
        return tf.add(x, second);
      case "sub":
        return tf.sub(x, second);
      case "mul":
        return tf.mul(x, second);
      case "square":
        return tf.square(x);
      case "div":
        return tf.div(x, second);
      case "sqrt":
        return tf.sqrt(x);
      case "maximum":
        return tf.maximum(x, second);
      case "minimum":
        return tf.minimum(x, second);
      case "greater":
        return tf.cast(tf.greater(x, second), "float32");
      case "where":
        return tf.where(tf.cast(x, "bool"), second, z as tf.Tensor);
      case "sum":
        return tf.sum(x);
      case "sumSquares":
        return tf.sum(tf.square(x));
      case "squaredDifferenceSum":
        return tf.sum(tf.squaredDifference(x, second));
    }
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

  /** Frees the cached scalars (options changed, or the optimizer is disposed). */
  clear(): void {
    for (const tensor of this.#constants.values()) tensor.dispose();
    for (const { tensor } of this.#stepValues.values()) tensor.dispose();
    this.#constants.clear();
    this.#stepValues.clear();
  }
}
