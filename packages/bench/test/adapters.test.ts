/**
 * The tfjs and onnxruntime rows run the real packages: each stepper steps, its state is
 * counted from the optimizer's own arrays, and each trainer trains the MLP on real MNIST.
 */
import { loadMnist, subset } from "@a2s/mnist";
import { beforeAll, describe, expect, it } from "vitest";
import { loadOnnxruntime } from "../src/adapters/onnxruntime.js";
import { loadTfjs } from "../src/adapters/tfjs.js";
import type { AdapterSet } from "../src/adapters/types.js";

const SHAPES = { w: [30, 20], b: [20] };
// tfjs's variants run A2S's generic path with the in-graph non-finite guard instead of the eager check;
// onnxruntime's runs A2S in its blend, where no host value is pinned to 0 or 1.
const VARIANTS = {
  tfjs: ["tfjs cpu (generic, nonFinite: skip)", "tfjs wasm (generic, nonFinite: skip)"],
  onnxruntime: ["onnxruntime (blend phase)"],
};
// tfjs's A2S on the fused kernel and on the generic path, side by side, each with tf.train.adam.
const STEP_ROWS = {
  tfjs: ["tfjs cpu", "tfjs cpu (generic)", "tfjs wasm", "tfjs wasm (generic)"],
  onnxruntime: ["onnxruntime"],
};
const PARAMS = 620;

const mnist = await loadMnist();
const batch = subset(mnist.train, 0, 64);
const test = subset(mnist.test, 0, 500);

describe.each([
  ["tfjs", loadTfjs, ["tfjs cpu", "tfjs wasm"]],
  ["onnxruntime", loadOnnxruntime, ["onnxruntime", "onnxruntime, step on the host (typed simd)"]],
] as const)(
  "%s rows",
  (family, load, names) => {
    let set: AdapterSet;
    beforeAll(async () => {
      set = await load();
    });

    it("loads the adapter with its row names", () => {
      expect(set.steppers.filter((s) => !s.variant).map((s) => s.name)).toEqual(STEP_ROWS[family]);
      expect(set.trainers.map((t) => t.name)).toEqual(names);
      expect(set.steppers.filter((s) => s.variant).map((s) => s.name)).toEqual(VARIANTS[family]);
    });

    it("steps A2S and Adam and counts 4 and 2 float32 of state per parameter", async () => {
      for (const stepper of set.steppers) {
        const a2s = await stepper.make("A2S", SHAPES);
        const adam = await stepper.make("Adam", SHAPES);
        try {
          for (let i = 0; i < 3; i++) {
            await a2s.step();
            await adam.step();
          }
          expect((await a2s.stateSize()).bytes / PARAMS).toBe(16);
          expect((await adam.stateSize()).bytes / PARAMS).toBe(8);
        } finally {
          await a2s.dispose();
          await adam.dispose();
        }
      }
    });

    it("trains the MLP: twenty steps on one batch lift test accuracy above chance", async () => {
      for (const adapter of set.trainers) {
        const trainer = await adapter.make("A2S", 1);
        try {
          for (let i = 0; i < 20; i++) await trainer.step(batch.images, batch.labels);
          // Chance is 10%; 20 steps on 64 images already generalise somewhat (about 40-60%).
          expect(await trainer.accuracy(test.images, test.labels)).toBeGreaterThan(0.2);
        } finally {
          await trainer.dispose();
        }
      }
    });
  },
  60_000,
);
