/**
 * @a2s/tfjs in TensorFlow.js: the MLP built with tf.layers, trained with `model.compile` +
 * `trainOnBatch`. `--adapter tfjs` runs on the wasm backend, `--adapter tfjs-cpu` on the
 * cpu backend. Every optimizer, baselines included, is @a2s/tfjs's own.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Optimizer } from "@a2s/tfjs";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { ExperimentAdapter } from "../adapter.js";

const PIXELS = 784;
const LAYERS = [
  { units: 128, activation: "relu" },
  { units: 64, activation: "relu" },
  { units: 10, activation: "linear" },
] as const;

export type TfjsBackend = "wasm" | "cpu";

async function useBackend(backend: TfjsBackend): Promise<void> {
  if (backend === "wasm") {
    // Node has no URL to fetch the .wasm files from; the package ships them in dist/.
    const require = createRequire(import.meta.url);
    setWasmPaths(`${join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not start`);
  await tf.ready();
}

const softmaxCrossEntropy = (labels: tf.Tensor, logits: tf.Tensor) =>
  tf.losses.softmaxCrossEntropy(labels, logits);

/** The experiment's tfjs adapter on one backend. */
export const tfjsAdapter = (backend: TfjsBackend): ExperimentAdapter => ({
  name: backend === "wasm" ? "tfjs" : `tfjs-${backend}`,
  async createRun({ algorithm, initialParams }) {
    await useBackend(backend);
    const model = tf.sequential();
    for (const [i, { units, activation }] of LAYERS.entries()) {
      model.add(tf.layers.dense({ units, activation, ...(i === 0 ? { inputShape: [PIXELS] } : {}) }));
    }
    // W1 b1 W2 b2 W3 b3, each W [in, out] row-major: the layout of a dense kernel.
    const weights = model.getWeights().map((w, i) => {
      const name = `${i % 2 === 0 ? "W" : "b"}${Math.floor(i / 2) + 1}`;
      return tf.tensor(initialParams[name] as Float32Array, w.shape);
    });
    model.setWeights(weights);
    tf.dispose(weights);
    const optimizer = new Optimizer(algorithm);
    model.compile({ optimizer, loss: softmaxCrossEntropy });

    return {
      async step(x, y) {
        const [xs, ys] = tf.tidy(() => [
          tf.tensor2d(x.subarray(0, y.length * PIXELS), [y.length, PIXELS]),
          tf.oneHot(tf.tensor1d(y, "int32"), 10),
        ]);
        try {
          // The loss of the forward pass the gradients come from: before the step.
          return (await model.trainOnBatch(xs as tf.Tensor, ys as tf.Tensor)) as number;
        } finally {
          tf.dispose([xs as tf.Tensor, ys as tf.Tensor]);
        }
      },
      async evaluate(x, y) {
        const chunk = 2000;
        let correct = 0;
        for (let start = 0; start < y.length; start += chunk) {
          const rows = Math.min(chunk, y.length - start);
          const hits = tf.tidy(() => {
            const images = tf.tensor2d(x.subarray(start * PIXELS, (start + rows) * PIXELS), [rows, PIXELS]);
            const predicted = tf.argMax(model.predict(images) as tf.Tensor, 1);
            return tf.sum(
              tf.cast(tf.equal(predicted, tf.tensor1d(y.subarray(start, start + rows), "int32")), "int32"),
            );
          });
          correct += (await hits.data())[0] as number;
          hits.dispose();
        }
        return correct / y.length;
      },
      diagnostics: () => optimizer.readDiagnostics(),
      dispose() {
        model.dispose();
        optimizer.dispose();
      },
    };
  },
});

export default tfjsAdapter("wasm");
