import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, test } from "vitest";
import {
  a2s,
  adam,
  cosineDecaySchedule,
  linearSchedule,
  type Optimizer,
  rmsprop,
  sgdMomentum,
} from "../src/index.js";
import { BACKENDS, useBackend } from "./backends.js";

afterEach(() => tf.disposeVariables());

// The MLP's six variables (kernels and biases), at a small size: a leak shows in the
// tensor count whatever the sizes.
const SHAPES = [[12, 8], [8], [8, 6], [6], [6, 10], [10]];

// Through every phase (Adam, blend, SGD), with a schedule whose rate changes every step,
// clipping and a group, so that every kind of step value is made.
const A2S_OPTIONS = () => ({
  switchIter: 50,
  blendIters: 100,
  lrAdam: cosineDecaySchedule({ initValue: 0.01, decaySteps: 500 }),
  clipNorm: 5,
  weightDecay: 1e-3,
  groups: [{ tensors: /_1$|_3$|_5$/, weightDecay: 0 }],
});

const makers: [string, (nonFinite: "throw" | "skip") => Optimizer][] = [
  ["A2S", (nonFinite) => a2s(A2S_OPTIONS(), { nonFinite })],
  // The fused kernel runs A2S on cpu and wasm by default; the generic path must not leak either.
  ["A2S (generic kernel)", (nonFinite) => a2s(A2S_OPTIONS(), { nonFinite, kernel: "generic" })],
  [
    "Adam",
    (nonFinite) =>
      adam(
        { learningRate: linearSchedule({ initValue: 0.01, endValue: 0, transitionSteps: 500 }) },
        { nonFinite },
      ),
  ],
  ["RMSProp", (nonFinite) => rmsprop({}, { nonFinite })],
  ["SGDMomentum", (nonFinite) => sgdMomentum({ weightDecay: 1e-4 }, { nonFinite })],
];

describe.each(BACKENDS)("tensor count on %s", (backend) => {
  for (const [name, make] of makers) {
    test.each([
      "throw",
      "skip",
    ] as const)(`${name} (nonFinite %s): the same after 400 steps as after 200 (every phase seen), and after reading diagnostics`, async (nonFinite) => {
      await useBackend(backend);
      const variables = SHAPES.map((shape, i) =>
        tf.variable(tf.randomNormal(shape, 0, 1, "float32", i), true, `mem_${name}_${i}`),
      );
      const optimizer = make(nonFinite);
      const loss = () => tf.addN(variables.map((v) => tf.sum(tf.square(v)))) as tf.Scalar;
      // By step 200 every phase has been seen (its cached scalars made); the schedules
      // still change the rates at every step after it.
      for (let i = 0; i < 200; i++) optimizer.minimize(loss, false, variables);
      const after200 = tf.memory().numTensors;
      for (let i = 200; i < 400; i++) optimizer.minimize(loss, false, variables);
      expect(optimizer.t).toBe(400);
      expect(tf.memory().numTensors).toBe(after200);
      await optimizer.readDiagnostics();
      expect(optimizer.diagnostics?.t).toBe(400);
      expect(tf.memory().numTensors).toBe(after200);
      optimizer.dispose();
    }, 60_000);
  }

  test("refused steps leak nothing: NaN in minimize, a wrong shape, a missing variable", async () => {
    await useBackend(backend);
    const w = tf.variable(tf.ones([3, 2]), true, "mem_err_w");
    const b = tf.variable(tf.ones([2]), true, "mem_err_b");
    const optimizer = a2s();
    const nanLoss = () => tf.sum(tf.mul(tf.add(tf.sum(w), tf.sum(b)), Number.NaN)) as tf.Scalar;
    const goodLoss = () => tf.add(tf.sum(tf.square(w)), tf.sum(b)) as tf.Scalar;
    optimizer.minimize(goodLoss, false, [w, b]);
    const attempts = () => {
      expect(() => optimizer.minimize(nanLoss, true, [w, b])).toThrow(
        expect.objectContaining({ name: "NonFiniteGradientError" }),
      );
      expect(() =>
        tf.tidy(() => optimizer.applyGradients({ mem_err_w: tf.ones([2, 3]), mem_err_b: tf.ones([2]) })),
      ).toThrow(expect.objectContaining({ name: "TensorMismatchError", kind: "length" }));
      expect(() => tf.tidy(() => optimizer.applyGradients({ mem_err_w: tf.ones([3, 2]) }))).toThrow(
        expect.objectContaining({ name: "TensorMismatchError", kind: "missing" }),
      );
    };
    attempts();
    const numTensors = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) attempts();
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(optimizer.t).toBe(1);
    optimizer.dispose();
  });
});
