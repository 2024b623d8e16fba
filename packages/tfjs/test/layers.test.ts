import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import {
  A2S,
  Adam,
  a2s,
  adam,
  cosineDecaySchedule,
  type Optimizer,
  RMSProp,
  rmsprop,
  SGDMomentum,
  sgdMomentum,
} from "../src/index.js";
import { BACKENDS, useBackend } from "./backends.js";

/** A small classifier with the seed's layer kinds (dense ReLU, softmax), on fixed data. */
function makeModel(seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [6],
        units: 8,
        activation: "relu",
        kernelInitializer: tf.initializers.heNormal({ seed }),
      }),
      tf.layers.dense({
        units: 3,
        activation: "softmax",
        kernelInitializer: tf.initializers.heNormal({ seed: seed + 1 }),
      }),
    ],
  });
}

function data(): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.randomNormal([48, 6], 0, 1, "float32", 7);
  // Labels from a fixed linear rule, so there is something to learn.
  const y = tf.oneHot(tf.argMax(tf.matMul(x, tf.randomNormal([6, 3], 0, 1, "float32", 8)), 1), 3);
  return { x, y };
}

const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

async function saved(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
    { includeOptimizer: true },
  );
  return artifacts as tf.io.ModelArtifacts;
}

// Switch early and blend fast, so that the saved state lies inside the blend.
const BLEND = { lrAdam: 0.01, lrSgd: 0.02, switchIter: 4, blendIters: 12, curvatureK: 0.2 };

const CLASSES: [string, () => Optimizer, abstract new (...args: never[]) => Optimizer, string[]][] = [
  ["A2S", () => a2s(BLEND), A2S, ["prev", "m", "v", "buf"]],
  ["Adam", () => adam({ learningRate: 0.01, weightDecay: 1e-3 }), Adam, ["m", "v"]],
  ["RMSProp", () => rmsprop({ learningRate: 0.01 }), RMSProp, ["v"]],
  ["SGDMomentum", () => sgdMomentum({ learningRate: 0.05 }), SGDMomentum, ["buf"]],
];

describe.each(BACKENDS)("tfjs-layers on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  test("model.compile({ optimizer: a2s({ lrAdam: cosineDecaySchedule(...), weightDecay, groups }) }) + fit lowers the loss", async () => {
    const { x, y } = data();
    const model = makeModel(1);
    const optimizer = a2s({
      lrAdam: cosineDecaySchedule({ initValue: 0.02, decaySteps: 45 }),
      weightDecay: 1e-4,
      groups: [{ tensors: /bias/, weightDecay: 0 }],
      switchIter: 20,
      blendIters: 20,
    });
    model.compile({ optimizer, loss: "categoricalCrossentropy" });
    const history = await model.fit(x, y, { epochs: 15, batchSize: 16, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses.at(-1)).toBeLessThan((losses[0] as number) * 0.7);
    expect(optimizer.t).toBe(45);
    // The scheduled rate of step 45 (the end of the cosine) times the curvature scale.
    expect(optimizer.diagnostics?.lrAdam).toBe(0);
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  });

  test("groups select variables by variable name: a group of the biases with rates 0 leaves them where they were", async () => {
    const { x, y } = data();
    const model = makeModel(2);
    const optimizer = a2s({ ...BLEND, groups: [{ tensors: /bias$/, lrAdam: 0, lrSgd: 0 }] });
    model.compile({ optimizer, loss: "categoricalCrossentropy" });
    // Biases start at zero; give them something to keep.
    model.setWeights(model.getWeights().map((w, i) => (i % 2 === 1 ? tf.onesLike(w) : w)));
    const before = weightsOf(model);
    await model.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
    const after = weightsOf(model);
    expect(after[1]).toEqual(before[1]);
    expect(after[3]).toEqual(before[3]);
    expect(after[0]).not.toEqual(before[0]);
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  });

  for (const [name, make, cls, slots] of CLASSES) {
    test(`${name}: model.save with includeOptimizer, then tf.loadLayersModel, continues bit for bit`, async () => {
      const { x, y } = data();
      const fit = (model: tf.LayersModel, epochs: number) =>
        model.fit(x, y, { epochs, batchSize: 16, shuffle: false, verbose: 0 });
      const original = makeModel(3);
      original.compile({ optimizer: make(), loss: "categoricalCrossentropy" });
      await fit(original, 3); // 9 steps: inside A2S's blend (w = 1 - 5/12 at step 9)
      const artifacts = await saved(original);
      const specs = (artifacts.weightSpecs ?? []).filter((spec) => spec.group === "optimizer");
      // iter, then the algorithm's slots for each of the 4 variables (2 kernels, 2 biases).
      expect(specs.map((spec) => spec.name.split("/").at(-1))).toEqual([
        "iter",
        ...Array(4).fill(slots).flat(),
      ]);

      const restored = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      expect(restored.optimizer).toBeInstanceOf(cls);
      expect((restored.optimizer as Optimizer).options).toEqual((original.optimizer as Optimizer).options);
      expect(restored.optimizer.iterations).toBe(9);
      await fit(original, 3);
      await fit(restored, 3);
      // Same float32 operations in the same order on the same backend: bit for bit.
      expect(weightsOf(restored)).toEqual(weightsOf(original));
      // The optimizer state too (names differ: the reloaded variables got new suffixes).
      const slotValues = async (model: tf.LayersModel) =>
        Promise.all(
          (await model.optimizer.getWeights()).slice(1).map(async (w) => Array.from(await w.tensor.data())),
        );
      expect(await slotValues(restored)).toEqual(await slotValues(original));
      for (const model of [original, restored]) {
        model.optimizer.dispose();
        model.dispose();
      }
      tf.dispose([x, y]);
    });
  }

  test("the options survive tfjs-layers' save and load: schedules, Infinity, groups whose names and patterns hold underscores", async () => {
    const { x, y } = data();
    const original = makeModel(8);
    const kernel = (original.trainableWeights[0]?.read() as tf.Variable).name;
    const optimizer = a2s({
      lrAdam: cosineDecaySchedule({ initValue: 0.02, decaySteps: 40 }),
      switchIter: Number.POSITIVE_INFINITY,
      groups: [
        { tensors: /dense_Dense\d+\/bias/, weightDecay: 0 },
        { tensors: [kernel], lrAdam: 0.002 },
      ],
      weightDecay: 1e-3,
    });
    original.compile({ optimizer, loss: "categoricalCrossentropy" });
    await original.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    const restored = await tf.loadLayersModel(tf.io.fromMemory(await saved(original)));
    expect((restored.optimizer as Optimizer).options).toEqual(optimizer.options);
    await original.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    await restored.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    expect(weightsOf(restored)).toEqual(weightsOf(original));
    for (const model of [original, restored]) {
      model.optimizer.dispose();
      model.dispose();
    }
    tf.dispose([x, y]);
  });

  test("a model saved right after compile, before its first step, trains after loading", async () => {
    const { x, y } = data();
    const original = makeModel(4);
    original.compile({ optimizer: a2s(BLEND), loss: "categoricalCrossentropy" });
    const restored = await tf.loadLayersModel(tf.io.fromMemory(await saved(original)));
    expect(restored.optimizer.iterations).toBe(0);
    const history = await restored.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    expect(restored.optimizer.iterations).toBe(6);
    expect((history.history.loss as number[]).every(Number.isFinite)).toBe(true);
    for (const model of [original, restored]) {
      model.optimizer.dispose();
      model.dispose();
    }
    tf.dispose([x, y]);
  });

  test("a model compiled with tf.train.adam still saves and loads with tfjs's own Adam", async () => {
    const { x, y } = data();
    const original = makeModel(5);
    original.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
    await original.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    const restored = await tf.loadLayersModel(tf.io.fromMemory(await saved(original)));
    expect(restored.optimizer.getClassName()).toBe("Adam");
    expect(restored.optimizer.constructor).toBe(tf.AdamOptimizer);
    expect(restored.optimizer instanceof Adam).toBe(false);
    for (const model of [original, restored]) {
      model.optimizer.dispose();
      model.dispose();
    }
    tf.dispose([x, y]);
  });

  test("fit with a NaN in the data is refused with a NonFiniteGradientError, and leaks nothing of ours", async () => {
    const { x, y } = data();
    const bad = tf.tidy(() => x.mul(tf.scalar(Number.NaN)));
    /** Tensors left behind by each of 5 refused fits after a first one. */
    const growth = async (model: tf.LayersModel, refusal: object) => {
      const refused = () =>
        expect(model.fit(bad, y, { epochs: 1, batchSize: 48, verbose: 0 })).rejects.toThrow(refusal);
      await refused();
      const numTensors = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) await refused();
      return tf.memory().numTensors - numTensors;
    };
    const model = makeModel(6);
    const optimizer = a2s();
    model.compile({ optimizer, loss: "categoricalCrossentropy" });
    await model.fit(x, y, { epochs: 1, batchSize: 48, verbose: 0 });
    const ours = await growth(model, expect.objectContaining({ name: "NonFiniteGradientError" }));
    expect(optimizer.t).toBe(1);
    // tfjs-layers' fit keeps its epoch's index tensor when a step throws: the same fit with
    // an optimizer that frees everything and throws shows what is tfjs-layers' own.
    class Refusing extends tf.SGDOptimizer {
      override minimize(
        f: () => tf.Scalar,
        _returnCost?: boolean,
        varList?: tf.Variable[],
      ): tf.Scalar | null {
        const { value, grads } = this.computeGradients(f, varList);
        tf.dispose([value, ...Object.values(grads)]);
        throw new RangeError("refused");
      }
    }
    const stub = makeModel(7);
    stub.compile({ optimizer: new Refusing(0.1), loss: "categoricalCrossentropy" });
    const theirs = await growth(stub, new RangeError("refused"));
    expect(ours).toBe(theirs);
    for (const m of [model, stub]) m.dispose();
    optimizer.dispose();
    tf.dispose([x, y, bad]);
  });
});
