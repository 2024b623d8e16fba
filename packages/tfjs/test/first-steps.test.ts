import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { A2SOptimizer, a2s } from "../src/index.js";
import { useBackend } from "./backends.js";

beforeAll(() => useBackend("cpu"));
afterEach(() => tf.disposeVariables());

describe("applyGradients", () => {
  it("takes a NamedTensorMap: the first step is Adam at lrAdam (curvature 0, m̂ = g, v̂ = g²)", async () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]), true, "fs_w");
    const opt = a2s({ lrAdam: 0.1, epsilon: 1e-8 });
    tf.tidy(() => opt.applyGradients({ fs_w: tf.tensor1d([0.5, -4, 0]) }));
    // g/(|g|+eps) is ±1 up to 1e-8 relative; 0 stays 0. float32 rounding of 1 - 0.1 etc.: 1e-6.
    expect(Array.from(await w.data())).toEqual([
      expect.closeTo(0.9, 6),
      expect.closeTo(-1.9, 6),
      expect.closeTo(3, 6),
    ]);
    expect(opt.iterations).toBe(1);
    opt.dispose();
  });

  it("takes a NamedTensor[] and gives the same result as the map form", async () => {
    const a = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      true,
      "fs_a",
    );
    const b = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      true,
      "fs_b",
    );
    const optA = a2s({ curvatureK: 0.5 });
    const optB = a2s({ curvatureK: 0.5 });
    for (const scale of [1, -2, 3]) {
      tf.tidy(() => {
        const g = tf
          .tensor2d([
            [0.1, -0.2],
            [0.3, 0.4],
          ])
          .mul(scale);
        optA.applyGradients({ fs_a: g });
        optB.applyGradients([{ name: "fs_b", tensor: g }]);
      });
    }
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    expect(Array.from(await a.data())).not.toEqual([1, 2, 3, 4]);
    optA.dispose();
    optB.dispose();
  });

  it("minimize (inherited) lowers a quadratic", async () => {
    const x = tf.variable(tf.tensor1d([3, -3]), true, "fs_x");
    const opt = a2s({ lrAdam: 0.05, switchIter: 20, blendIters: 20, lrSgd: 0.05 });
    const loss = () => tf.sum(tf.square(x)) as tf.Scalar;
    const before = (await loss().data())[0] as number;
    for (let i = 0; i < 60; i++) opt.minimize(loss);
    const after = (await loss().data())[0] as number;
    expect(after).toBeLessThan(before / 10);
    opt.dispose();
  });

  it("makes its slot variables lazily, four per variable, at the first step", async () => {
    const w = tf.variable(tf.zeros([4, 3]), true, "fs_lazy");
    const opt = a2s();
    expect(await opt.getWeights()).toHaveLength(1);
    const before = tf.memory().numTensors;
    tf.tidy(() => opt.applyGradients({ fs_lazy: tf.onesLike(w) }));
    const weights = await opt.getWeights();
    expect(weights.map((x) => x.name)).toEqual([
      "iter",
      "fs_lazy/m",
      "fs_lazy/v",
      "fs_lazy/buf",
      "fs_lazy/prev",
    ]);
    expect(weights.slice(1).every((x) => x.tensor.shape.join() === "4,3")).toBe(true);
    // 4 slots, diagnostics (2), cached scalars: more tensors now, none of them the gradient.
    expect(tf.memory().numTensors).toBeGreaterThan(before + 4);
    opt.dispose();
  });
});

describe("dispose", () => {
  it("frees every tensor the optimizer made", () => {
    const w = tf.variable(tf.ones([10]), true, "fs_dispose");
    const start = tf.memory().numTensors;
    for (const nonFinite of ["throw", "skip"] as const) {
      const opt = new A2SOptimizer({ nonFinite });
      for (let i = 0; i < 3; i++)
        tf.tidy(() => opt.applyGradients({ fs_dispose: tf.onesLike(w).mul(i + 1) }));
      expect(tf.memory().numTensors).toBeGreaterThan(start);
      opt.dispose();
      expect(tf.memory().numTensors).toBe(start);
    }
  });
});
