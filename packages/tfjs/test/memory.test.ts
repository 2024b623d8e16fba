import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { a2s } from "../src/index.js";
import { BACKENDS, useBackend } from "./backends.js";

// The MLP's six variables (two-dimensional kernels, biases), at a small size: a leak shows
// in the tensor count whatever the sizes.
const SHAPES = [[12, 8], [8], [8, 6], [6], [6, 10], [10]];

describe.each(BACKENDS)("tensor count on %s", (backend) => {
  it.each([
    "throw",
    "skip",
  ] as const)("is the same after 1,000 steps as after 10 (nonFinite %s)", async (nonFinite) => {
    await useBackend(backend);
    const variables = SHAPES.map((shape, i) =>
      tf.variable(tf.randomNormal(shape, 0, 1, "float32", i), true, `mem_${backend}_${nonFinite}_${i}`),
    );
    // Through every phase (Adam, blend, SGD) so each kind of step scalar is made.
    const opt = a2s({ switchIter: 200, blendIters: 400, nonFinite });
    const loss = () => tf.addN(variables.map((v) => tf.sum(tf.square(v)))) as tf.Scalar;
    for (let i = 0; i < 10; i++) opt.minimize(loss, false, variables);
    const after10 = tf.memory().numTensors;
    for (let i = 10; i < 1000; i++) opt.minimize(loss, false, variables);
    expect(tf.memory().numTensors).toBe(after10);
    await opt.readDiagnostics();
    expect(tf.memory().numTensors).toBe(after10);
    opt.dispose();
    tf.dispose(variables);
  });
});
