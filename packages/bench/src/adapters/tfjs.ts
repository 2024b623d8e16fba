/**
 * Rows for @a2s/tfjs on tfjs's cpu and wasm backends: its A2S (fused kernel, and the
 * generic path) against `tf.train.adam`, both driven through `applyGradients`, and the
 * seed's MLP built with `tf.layers`.
 */
import { stepInputs } from "../shapes.js";
import type { AdapterSet, StateSize, Stepper, TensorShapes, Trainer } from "./types.js";

type Tf = typeof import("@tensorflow/tfjs");
type Optimizer = import("@tensorflow/tfjs").Optimizer;

type Backend = "cpu" | "wasm";

const BACKENDS: readonly Backend[] = ["cpu", "wasm"];

/** The A2S row of each backend: the fused kernel (the default). */
export const tfjsRow = (backend: Backend) => `tfjs ${backend}`;
/** The same backend's A2S on the generic path. */
export const tfjsGenericRow = (backend: Backend) => `tfjs ${backend} (generic)`;
export const TFJS_ROWS: readonly string[] = BACKENDS.flatMap((b) => [tfjsRow(b), tfjsGenericRow(b)]);

export async function loadTfjs(): Promise<AdapterSet> {
  const tf = await import("@tensorflow/tfjs");
  await import("@tensorflow/tfjs-backend-wasm");
  const { a2s } = await import("@a2s/tfjs");
  const set: AdapterSet = { steppers: [], trainers: [] };
  for (const backend of BACKENDS) {
    const name = tfjsRow(backend);
    const use = async () => {
      if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise`);
    };
    // A2S with its defaults, as a user gets them: on cpu and wasm the fused kernel (one
    // pass per variable over the backend's buffers), which checks gradients and results
    // for NaN and Infinity on the host as it goes; tf.train.adam checks nothing. Cheap at
    // every size: the row at 1e7 is the goal's (issue 16), where tf.train.adam on cpu
    // takes seconds per step but A2S does not.
    set.steppers.push({
      name,
      cheapAtEverySize: true,
      takesOptions: true,
      make: async (kind, shapes, a2sOptions = {}) => {
        await use();
        return tfjsStepper(tf, kind === "A2S" ? a2s(a2sOptions) : tf.train.adam(0.001), shapes);
      },
    });
    // The generic path (core's transforms as tfjs operations, what webgl runs), side by
    // side with the same tf.train.adam: what the fused kernel gains. Its eager check reads
    // one number back per step; the variant with the in-graph guard (nonFinite: "skip")
    // shows what a check without a read-back costs.
    for (const nonFinite of ["throw", "skip"] as const) {
      const variant = nonFinite === "skip";
      set.steppers.push({
        name: variant ? `${name} (generic, nonFinite: skip)` : tfjsGenericRow(backend),
        variant,
        takesOptions: true,
        make: async (kind, shapes, a2sOptions = {}) => {
          await use();
          return tfjsStepper(
            tf,
            kind === "A2S" ? a2s(a2sOptions, { nonFinite, kernel: "generic" }) : tf.train.adam(0.001),
            shapes,
          );
        },
      });
    }
    set.trainers.push({
      name,
      // The cpu backend runs a training step in about a fifth of a second (A2S) under load:
      // 300 steps give a steady figure without several minutes per optimizer.
      ...(backend === "cpu" ? { maxSteps: 300 } : {}),
      make: async (kind, seed) => {
        await use();
        return tfjsTrainer(tf, kind === "A2S" ? a2s() : tf.train.adam(0.001), seed);
      },
    });
  }
  return set;
}

let variableCount = 0;

function tfjsStepper(tf: Tf, optimizer: Optimizer, shapes: TensorShapes): Stepper {
  const { params, grads } = stepInputs(shapes);
  const prefix = `bench${variableCount++}`;
  const variables = Object.entries(params).map(([name, values]) =>
    tf.variable(tf.tensor(values, [...(shapes[name] as number[])]), true, `${prefix}/${name}`),
  );
  const gradMaps = grads.map((set) =>
    Object.fromEntries(
      Object.entries(set).map(([name, values]) => [
        `${prefix}/${name}`,
        tf.tensor(values, [...(shapes[name] as number[])]),
      ]),
    ),
  );
  let turn = 0;
  return {
    async: false,
    step() {
      optimizer.applyGradients(gradMaps[turn] as Record<string, import("@tensorflow/tfjs").Tensor>);
      turn ^= 1;
    },
    stateSize: () => slotSize(optimizer),
    dispose() {
      optimizer.dispose();
      for (const v of variables) v.dispose();
      for (const map of gradMaps) for (const t of Object.values(map)) t.dispose();
    },
  };
}

/**
 * The slot tensors tfjs itself lists for the optimizer: `getWeights()` without its first
 * entry, the iteration count, which tfjs's optimizers put first.
 */
async function slotSize(optimizer: Optimizer): Promise<StateSize> {
  const weights = await optimizer.getWeights();
  let bytes = 0;
  for (const { tensor } of weights.slice(1)) bytes += tensor.size * 4;
  return { bytes, bytesPerElement: 4, source: "getWeights() slot tensors" };
}

/** 784-128-64-10 with ReLU and He-normal weights, softmax cross-entropy on the logits. */
function tfjsTrainer(tf: Tf, optimizer: Optimizer, seed: number): Trainer {
  const dense = (units: number, activation: "relu" | "linear", extra: object, layerSeed: number) =>
    tf.layers.dense({
      units,
      activation,
      kernelInitializer: tf.initializers.heNormal({ seed: layerSeed }),
      ...extra,
    });
  const model = tf.sequential({
    layers: [
      dense(128, "relu", { inputShape: [784] }, seed),
      dense(64, "relu", {}, seed + 1),
      dense(10, "linear", {}, seed + 2),
    ],
  });
  const variables = model.trainableWeights.map((w) => w.read() as import("@tensorflow/tfjs").Variable);
  return {
    step(x, y) {
      tf.tidy(() => {
        const xs = tf.tensor2d(x, [y.length, 784]);
        const labels = tf.oneHot(tf.tensor1d(y, "int32"), 10);
        optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(labels, model.apply(xs) as import("@tensorflow/tfjs").Tensor),
          false,
          variables,
        );
      });
    },
    async accuracy(x, y) {
      const predicted = tf.tidy(() =>
        (
          model.predict(tf.tensor2d(x, [y.length, 784]), {
            batchSize: 1000,
          }) as import("@tensorflow/tfjs").Tensor
        ).argMax(-1),
      );
      const digits = await predicted.data();
      predicted.dispose();
      let correct = 0;
      for (let i = 0; i < y.length; i++) if (digits[i] === y[i]) correct++;
      return correct / y.length;
    },
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}
