/**
 * Steps are recorded once and replayed, and proven finite from bounds (src/step-trace.ts,
 * src/finite-proof.ts). The engine's generic step is the reference: an optimizer given an
 * allReduce always takes it (its sums go through the host), so both must agree bit for bit.
 */

import { outsideAlgorithm } from "@a2s/conformance";
import { type Algorithm, a2s as a2sAlgorithm, adam as adamAlgorithm, linearSchedule } from "@a2s/core";
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, test } from "vitest";
import { decodeCheckpoint, Optimizer } from "../src/index.js";
import { BACKENDS, useBackend } from "./backends.js";

afterEach(() => tf.disposeVariables());

const SHAPES = { rp_w: [5, 3], rp_b: [3] };

/** A seeded generator (an LCG), enough for test data. */
function numbers(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function variables(suffix: string): tf.Variable[] {
  return Object.entries(SHAPES).map(([name, shape], k) =>
    tf.variable(tf.randomNormal(shape, 0, 1, "float32", k + 1), true, `${name}${suffix}`),
  );
}

const cases: [string, () => Algorithm][] = [
  [
    "A2S through every phase, with schedules, clipping, weight decay and groups",
    () =>
      a2sAlgorithm({
        switchIter: 6,
        blendIters: 8,
        curvatureK: 0.5,
        lrAdam: linearSchedule({ initValue: 0.02, endValue: 0.005, transitionSteps: 20 }),
        clipNorm: 2,
        weightDecay: 0.01,
        groups: [{ tensors: /rp_b/, weightDecay: 0, lrSgd: 0.05 }],
      }),
  ],
  ["Adam", () => adamAlgorithm({ learningRate: 0.05 })],
  ["an algorithm defined outside core", () => outsideAlgorithm({ halveAfter: 5 })],
];

describe.each(BACKENDS)("replayed steps on %s", (backend) => {
  test.each(cases)("%s: equal the engine's generic step bit for bit", async (_, algorithm) => {
    await useBackend(backend);
    const replayed = variables("_r");
    const generic = variables("_g");
    // The generic path's replay (A2S runs the fused kernel by default: fused.test.ts).
    const fast = new Optimizer(algorithm(), { kernel: "generic" });
    const reference = new Optimizer(algorithm(), { allReduce: (partials) => partials, kernel: "generic" });
    const random = numbers(7);
    for (let step = 1; step <= 24; step++) {
      const grads = Object.entries(SHAPES).map(([, shape]) =>
        Float32Array.from(
          { length: shape.reduce((a, b) => a * b, 1) },
          () => (random() - 0.5) * (step % 5 === 0 ? 8 : 1),
        ),
      );
      tf.tidy(() => {
        fast.applyGradients(
          replayed.map((v, k) => ({ name: v.name, tensor: tf.tensor(grads[k] as Float32Array, v.shape) })),
        );
        reference.applyGradients(
          generic.map((v, k) => ({ name: v.name, tensor: tf.tensor(grads[k] as Float32Array, v.shape) })),
        );
      });
      replayed.forEach((v, k) => {
        expect(Array.from(v.dataSync()), `step ${step}`).toEqual(
          Array.from((generic[k] as tf.Variable).dataSync()),
        );
      });
    }
    const state = (o: Optimizer) =>
      decodeCheckpoint(o.saveCheckpoint()).tensors.map((t) =>
        Object.values(t.slots).map((s) => Array.from(s)),
      );
    expect(state(fast)).toEqual(state(reference));
    expect(fast.diagnostics).toEqual(reference.diagnostics);
    fast.dispose();
    reference.dispose();
  });

  test("gradients of every size up to float32's largest: each step is refused or leaves every value finite", async () => {
    await useBackend(backend);
    const params = variables("_x");
    const optimizer = new Optimizer(a2sAlgorithm({ switchIter: 10, blendIters: 10, weightDecay: 0.1 }));
    const random = numbers(11);
    let refused = 0;
    for (let step = 1; step <= 60; step++) {
      // Magnitudes from 1 to 1e38, crossing where squares (1.8e19) and sums overflow.
      const scale = 10 ** Math.floor(random() * 39);
      try {
        tf.tidy(() =>
          optimizer.applyGradients(
            params.map((v) => ({
              name: v.name,
              tensor: tf.mul(tf.randomUniform(v.shape, -1, 1, "float32", step), scale),
            })),
          ),
        );
      } catch (error) {
        expect((error as Error).name).toBe("NonFiniteResultError");
        refused++;
      }
      for (const v of params)
        expect(v.dataSync().every(Number.isFinite), `parameters after step ${step}`).toBe(true);
      // Decoding refuses a checkpoint holding a value that is not finite.
      expect(() => decodeCheckpoint(optimizer.saveCheckpoint()), `state after step ${step}`).not.toThrow();
    }
    expect(refused).toBeGreaterThan(0);
    expect(optimizer.t).toBeGreaterThan(0);
    optimizer.dispose();
  });
});
