import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { A2SOptimizer, a2s } from "../src/index.js";
import { BACKENDS, useBackend } from "./backends.js";

/** A small classifier with the seed's layer kinds (dense ReLU, softmax), on fixed data. */
function makeModel(seed: number): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [6],
      units: 8,
      activation: "relu",
      kernelInitializer: tf.initializers.heNormal({ seed }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: 3,
      activation: "softmax",
      kernelInitializer: tf.initializers.heNormal({ seed: seed + 1 }),
    }),
  );
  return model;
}

function data(): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.randomNormal([48, 6], 0, 1, "float32", 7);
  // Labels from a fixed linear rule, so there is something to learn.
  const y = tf.oneHot(tf.argMax(tf.matMul(x, tf.randomNormal([6, 3], 0, 1, "float32", 8)), 1), 3);
  return { x, y };
}

async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

// Switch early and blend fast, so the saved state lies inside the blend.
const OPTIONS = { lrAdam: 0.01, lrSgd: 0.02, switchIter: 4, blendIters: 12, curvatureK: 0.2 };

describe.each(BACKENDS)("tfjs-layers on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("model.compile({ optimizer: a2s() }) + model.fit lowers the loss", async () => {
    const { x, y } = data();
    const model = makeModel(1);
    model.compile({ optimizer: a2s(OPTIONS), loss: "categoricalCrossentropy" });
    const history = await model.fit(x, y, { epochs: 15, batchSize: 16, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses.at(-1)).toBeLessThan((losses[0] as number) * 0.7);
    expect(model.optimizer).toBeInstanceOf(A2SOptimizer);
    expect(model.optimizer.iterations).toBe(15 * 3);
    model.dispose();
    model.optimizer.dispose();
    tf.dispose([x, y]);
  });

  it("model.save with includeOptimizer, then tf.loadLayersModel, continues exactly as uninterrupted", async () => {
    const { x, y } = data();
    const fit = (model: tf.LayersModel, epochs: number) =>
      model.fit(x, y, { epochs, batchSize: 16, shuffle: false, verbose: 0 });
    const original = makeModel(3);
    original.compile({ optimizer: a2s(OPTIONS), loss: "categoricalCrossentropy" });
    await fit(original, 3); // 9 steps: inside the blend (w = 1 - 5/12 at step 9)

    let artifacts: tf.io.ModelArtifacts | undefined;
    await original.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
      { includeOptimizer: true },
    );
    const specs = (artifacts?.weightSpecs ?? []).filter((spec) => spec.group === "optimizer");
    // iter, then 4 slots for each of the 4 variables (2 kernels, 2 biases).
    expect(specs.map((spec) => spec.name.split("/").at(-1))).toEqual([
      "iter",
      ...Array(4).fill(["m", "v", "buf", "prev"]).flat(),
    ]);

    const restored = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    expect(restored.optimizer).toBeInstanceOf(A2SOptimizer);
    expect((restored.optimizer as A2SOptimizer).options).toEqual(
      (original.optimizer as A2SOptimizer).options,
    );
    expect(restored.optimizer.iterations).toBe(9);

    await fit(original, 3);
    await fit(restored, 3);
    const expected = await weightsOf(original);
    const actual = await weightsOf(restored);
    // Same float32 operations in the same order on the same backend: bit for bit.
    expect(actual.map((w) => Array.from(w))).toEqual(expected.map((w) => Array.from(w)));
    // The optimizer state too (slot names differ: the reloaded variables got new suffixes).
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
});
