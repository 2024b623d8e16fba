/**
 * The MLP written in tf ops over six tf.Variables, trained in a custom loop by
 * `optimizer.minimize`: @a2s/tfjs's A2S or tfjs's own baselines, on the webgl, wasm or cpu
 * backend. Initial weights are @a2s/mlp's, so every stack starts from the same point.
 */
import { LAYER_SIZES, Mlp, type MlpParamName, PARAM_NAMES } from "@a2s/mlp";
import { type A2S, a2s } from "@a2s/tfjs";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import wasmPlain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import wasmSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import wasmThreaded from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";
import type { NumericOptions, OptimizerId } from "../optimizers.js";
import type { Stack } from "./stack.js";

export type TfjsBackend = "webgl" | "wasm" | "cpu";

// The wasm backend fetches its binaries by these names; Vite serves them as assets.
setWasmPaths({
  "tfjs-backend-wasm.wasm": wasmPlain,
  "tfjs-backend-wasm-simd.wasm": wasmSimd,
  "tfjs-backend-wasm-threaded-simd.wasm": wasmThreaded,
});

/** tfjs's optimizers take positional arguments; the page's options are named as @a2s/typed names them. */
const OPTIMIZERS: Record<OptimizerId, (o: NumericOptions) => tf.Optimizer> = {
  a2s: (o) => a2s(o),
  adam: (o) => tf.train.adam(o.learningRate, o.beta1, o.beta2, o.epsilon),
  rmsprop: (o) => tf.train.rmsprop(o.learningRate as number, o.decay, 0, o.epsilon),
  sgd: (o) => tf.train.momentum(o.learningRate as number, o.momentum as number),
};

const [IN, H1, H2, OUT] = LAYER_SIZES;
const SHAPES: Record<MlpParamName, number[]> = {
  W1: [IN, H1],
  b1: [H1],
  W2: [H1, H2],
  b2: [H2],
  W3: [H2, OUT],
  b3: [OUT],
};

async function useBackend(backend: TfjsBackend): Promise<string> {
  if (!(await tf.setBackend(backend))) throw new Error(`the tfjs ${backend} backend did not start`);
  await tf.ready();
  return tf.getBackend();
}

type Weights = Record<MlpParamName, tf.Variable>;

/** Logits of rows of 784 pixels: x W + b per layer (W is [in, out], as in @a2s/mlp), ReLU between. */
function logits(w: Weights, x: tf.Tensor2D): tf.Tensor2D {
  const h1 = tf.relu(tf.add(tf.matMul(x, w.W1), w.b1));
  const h2 = tf.relu(tf.add(tf.matMul(h1, w.W2), w.b2));
  return tf.add(tf.matMul(h2, w.W3), w.b3);
}

export function tfjsStack(backend: TfjsBackend): Stack {
  return {
    async create({ optimizer, options, seed }) {
      const running = await useBackend(backend);
      const { params } = new Mlp({ seed });
      const weights = Object.fromEntries(
        PARAM_NAMES.map((name) => [name, tf.variable(tf.tensor(params[name], SHAPES[name]))]),
      ) as Weights;
      const varList = PARAM_NAMES.map((name) => weights[name]);
      const opt = OPTIMIZERS[optimizer](options);
      // By id, not instanceof: tf.Optimizer's Symbol.hasInstance is duck-typed, so every
      // tfjs optimizer is an `instanceof A2S`.
      const diagnosed = optimizer === "a2s" ? (opt as A2S) : undefined;
      return {
        backend: running,
        async step(x, y) {
          const xs = tf.tensor2d(x, [y.length, IN]);
          const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(y, "int32"), OUT));
          const cost = opt.minimize(
            () => tf.losses.softmaxCrossEntropy(ys, logits(weights, xs)),
            true,
            varList,
          );
          try {
            const [loss] = await (cost as tf.Scalar).data();
            if (!diagnosed) return { loss: loss as number };
            // One small read-back per step, for the page's w and lrScale chart.
            const diagnostics = await diagnosed.readDiagnostics();
            return { loss: loss as number, w: diagnostics?.w, lrScale: diagnostics?.lrScale };
          } finally {
            tf.dispose([xs, ys, cost as tf.Scalar]);
          }
        },
        async accuracy(images, labels) {
          const correct = tf.tidy(() => {
            const predicted = tf.argMax(logits(weights, tf.tensor2d(images, [labels.length, IN])), 1);
            return tf.sum(tf.cast(tf.equal(predicted, tf.tensor1d(labels, "int32")), "int32"));
          });
          const [count] = await correct.data();
          correct.dispose();
          return (count as number) / labels.length;
        },
        async parameters() {
          const values = await Promise.all(varList.map((v) => v.data() as Promise<Float32Array>));
          return Object.fromEntries(PARAM_NAMES.map((name, i) => [name, values[i]])) as Record<
            MlpParamName,
            Float32Array
          >;
        },
        dispose() {
          tf.dispose(varList);
          opt.dispose();
        },
      };
    },
  };
}
