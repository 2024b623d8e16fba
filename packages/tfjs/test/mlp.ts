/**
 * The seed's MLP built with tf.layers (784-128-64-10, ReLU, He-normal kernels, softmax
 * cross-entropy on the logits), trained with `model.compile` + `trainOnBatch`, for the
 * training tier. Every optimizer, baselines included, is this package's own.
 */
import { algorithmOf, type TrainingRequest } from "@a2s/conformance";
import * as tf from "@tensorflow/tfjs";
import { Optimizer } from "../src/index.js";

function seedMlp(seed: number): tf.Sequential {
  const model = tf.sequential();
  const dense = (units: number, activation: "relu" | "linear", k: number, inputShape?: number[]) =>
    tf.layers.dense({
      units,
      activation,
      kernelInitializer: tf.initializers.heNormal({ seed: seed * 10 + k }),
      ...(inputShape ? { inputShape } : {}),
    });
  model.add(dense(128, "relu", 1, [784]));
  model.add(dense(64, "relu", 2));
  model.add(dense(10, "linear", 3));
  return model;
}

const softmaxCrossEntropy = (labels: tf.Tensor, logits: tf.Tensor) =>
  tf.losses.softmaxCrossEntropy(labels, logits);

/** Test accuracy of the MLP after one pass over `request.batches`. */
export async function trainSeedMlp(request: TrainingRequest): Promise<number> {
  const model = seedMlp(request.seed);
  const optimizer = new Optimizer(algorithmOf(request.optimizer));
  model.compile({ optimizer, loss: softmaxCrossEntropy });
  try {
    for (const { x, y } of request.batches) {
      const [xs, ys] = tf.tidy(() => [
        tf.tensor2d(x, [y.length, 784]),
        tf.oneHot(tf.tensor1d(y, "int32"), 10),
      ]);
      await model.trainOnBatch(xs as tf.Tensor, ys as tf.Tensor);
      tf.dispose([xs as tf.Tensor, ys as tf.Tensor]);
    }
    return await accuracy(model, request.test.x, request.test.y);
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

/** Share of rows of `x` whose largest logit is the label, in chunks to bound memory. */
export async function accuracy(model: tf.LayersModel, x: Float32Array, y: Uint8Array): Promise<number> {
  const chunk = 2000;
  let correct = 0;
  for (let start = 0; start < y.length; start += chunk) {
    const rows = Math.min(chunk, y.length - start);
    const hits = tf.tidy(() => {
      const logits = model.predict(
        tf.tensor2d(x.subarray(start * 784, (start + rows) * 784), [rows, 784]),
      ) as tf.Tensor;
      return tf.sum(
        tf.cast(
          tf.equal(tf.argMax(logits, 1), tf.tensor1d(y.subarray(start, start + rows), "int32")),
          "int32",
        ),
      );
    });
    correct += (await hits.data())[0] as number;
    hits.dispose();
  }
  return correct / y.length;
}
