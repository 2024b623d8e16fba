import type { ArrayOps, StepScalarName } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";

/**
 * Core's {@link ArrayOps} over tfjs tensors, for use inside `tf.tidy`. Constant scalars
 * (hyperparameters, and the exact 0 and 1 the schedule often yields) are made once and
 * kept until {@link TensorOps.dispose}, so a step does not upload them again.
 */
export class TensorOps implements ArrayOps<tf.Tensor> {
  readonly #constants = new Map<number, tf.Scalar>();

  scalar(value: number): tf.Tensor {
    let cached = this.#constants.get(value);
    if (cached === undefined) {
      // keep: the cache outlives the tidy scope the first request came from.
      cached = tf.keep(tf.scalar(value, "float32"));
      this.#constants.set(value, cached);
    }
    return cached;
  }

  /**
   * Schedule values change from step to step, except in the long pure-Adam and pure-SGD
   * phases where `w` and `1 - w` are exactly 1 and 0: those come from the cache, the rest
   * are made per step and freed by the enclosing tidy.
   */
  stepScalar(_name: StepScalarName, value: number): tf.Tensor {
    return value === 0 || value === 1 ? this.scalar(value) : tf.scalar(value, "float32");
  }

  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }
  sub(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.sub(a, b);
  }
  mul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.mul(a, b);
  }
  div(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.div(a, b);
  }
  sqrt(a: tf.Tensor): tf.Tensor {
    return tf.sqrt(a);
  }
  sumSquares(a: tf.Tensor): tf.Tensor {
    return tf.sum(tf.square(a));
  }

  /** Frees the cached scalars. */
  dispose(): void {
    for (const tensor of this.#constants.values()) tensor.dispose();
    this.#constants.clear();
  }
}
