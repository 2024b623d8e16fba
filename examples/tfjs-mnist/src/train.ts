/**
 * The seed's MLP (784-128-64-10, ReLU) as a tf.layers model, compiled with @a2s/tfjs's
 * A2S as its optimizer and trained on MNIST with `trainOnBatch`, on the wasm backend.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Mlp, PARAM_NAMES } from "@a2s/mlp";
import { batches, loadMnist, mulberry32, permutation } from "@a2s/mnist";
import { type A2SOptions, a2s, type StepDiagnostics } from "@a2s/tfjs";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export interface TrainOptions {
  /** Passes over the 60,000 training images. */
  epochs: number;
  /** Stop after this many steps, if fewer than the epochs make. */
  maxSteps?: number;
  /** Test images to score (the first ones); all 10,000 by default. */
  testCount?: number;
  /** Seed of the initial weights and of the shuffles. */
  seed?: number;
  a2s?: Partial<A2SOptions>;
}

export interface TrainResult {
  steps: number;
  /** Each step's batch loss, measured before the step. */
  losses: number[];
  testAccuracy: number;
  seconds: number;
  diagnostics: StepDiagnostics | undefined;
}

async function useWasm(): Promise<void> {
  // Node has no URL to fetch the .wasm files from; the package ships them in dist/.
  const require = createRequire(import.meta.url);
  setWasmPaths(`${join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`);
  if (!(await tf.setBackend("wasm"))) throw new Error("the tfjs wasm backend did not start");
  await tf.ready();
}

/** The MLP with @a2s/mlp's seeded He-normal weights: dense kernels are [in, out], as there. */
function buildModel(seed: number): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 128, activation: "relu" }),
      tf.layers.dense({ units: 64, activation: "relu" }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const { params } = new Mlp({ seed });
  // PARAM_NAMES is W1 b1 W2 b2 W3 b3: the order of the model's weights.
  const shapes = model.getWeights().map((w) => w.shape);
  const weights = PARAM_NAMES.map((name, i) => tf.tensor(params[name], shapes[i]));
  model.setWeights(weights);
  tf.dispose(weights);
  return model;
}

async function accuracy(model: tf.Sequential, images: Float32Array, labels: Uint8Array): Promise<number> {
  const correct = tf.tidy(() => {
    const predicted = tf.argMax(model.predict(tf.tensor2d(images, [labels.length, 784])) as tf.Tensor, 1);
    return tf.sum(tf.cast(tf.equal(predicted, tf.tensor1d(labels, "int32")), "int32"));
  });
  const [count] = await correct.data();
  correct.dispose();
  return (count as number) / labels.length;
}

export async function trainMnist(options: TrainOptions): Promise<TrainResult> {
  await useWasm();
  const { train, test } = await loadMnist();
  const seed = options.seed ?? 1;
  const model = buildModel(seed);
  const optimizer = a2s(options.a2s);
  model.compile({ optimizer, loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits) });
  try {
    const random = mulberry32(seed);
    const maxSteps = options.maxSteps ?? Number.POSITIVE_INFINITY;
    const losses: number[] = [];
    const started = performance.now();
    for (let epoch = 0; epoch < options.epochs && losses.length < maxSteps; epoch++) {
      for (const { x, y, size } of batches(train, 64, permutation(train.count, random))) {
        const xs = tf.tensor2d(x.subarray(0, size * 784), [size, 784]);
        const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(y, "int32"), 10));
        losses.push((await model.trainOnBatch(xs, ys)) as number);
        tf.dispose([xs, ys]);
        if (losses.length >= maxSteps) break;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const testCount = options.testCount ?? test.count;
    const testAccuracy = await accuracy(
      model,
      test.images.subarray(0, testCount * 784),
      test.labels.subarray(0, testCount),
    );
    // One small read-back, after training: the optimizer never reads back per step.
    const diagnostics = await optimizer.readDiagnostics();
    return { steps: losses.length, losses, testAccuracy, seconds, diagnostics };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}
