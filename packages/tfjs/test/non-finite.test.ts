import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { A2SOptimizer, InvalidOptionError, NonFiniteGradientError } from "../src/index.js";
import { useBackend } from "./backends.js";

beforeAll(() => useBackend("cpu"));
afterEach(() => tf.disposeVariables());

const flat = async (tensors: tf.Tensor[]) =>
  Promise.all(tensors.map(async (t) => Array.from(await t.data())));

async function stateOf(opt: A2SOptimizer, variables: tf.Variable[]) {
  return {
    params: await flat(variables),
    slots: await flat((await opt.getWeights()).slice(1).map((w) => w.tensor)),
  };
}

describe('nonFinite: "throw" (default)', () => {
  it("names the variable, index and value, and changes nothing", async () => {
    const a = tf.variable(tf.tensor1d([1, 2, 3]), true, "nf_a");
    const b = tf.variable(tf.tensor1d([4, 5]), true, "nf_b");
    const opt = new A2SOptimizer();
    tf.tidy(() => opt.applyGradients({ nf_a: tf.ones([3]), nf_b: tf.ones([2]) }));
    const before = await stateOf(opt, [a, b]);
    let caught: unknown;
    tf.tidy(() => {
      try {
        opt.applyGradients({ nf_a: tf.ones([3]), nf_b: tf.tensor1d([0.5, Number.NEGATIVE_INFINITY]) });
      } catch (error) {
        caught = error;
      }
    });
    expect(caught).toBeInstanceOf(NonFiniteGradientError);
    expect(caught).toMatchObject({ tensor: "nf_b", index: 1, value: Number.NEGATIVE_INFINITY });
    expect(await stateOf(opt, [a, b])).toEqual(before);
    expect(opt.iterations).toBe(1);
    opt.dispose();
  });

  it("accepts finite gradients whose sum overflows float32 (the fast check's false alarm)", async () => {
    const w = tf.variable(tf.tensor1d([0, 0]), true, "nf_big");
    const opt = new A2SOptimizer();
    // 3e38 + 3e38 overflows float32 to Infinity, though both elements are finite.
    tf.tidy(() => opt.applyGradients({ nf_big: tf.tensor1d([3e38, 3e38]) }));
    expect(opt.iterations).toBe(1);
    expect((await w.data()).every(Number.isFinite)).toBe(true);
    opt.dispose();
  });
});

describe('nonFinite: "skip" (in-graph guard)', () => {
  it("discards a step with NaN on the device, counts it, and t still advances", async () => {
    const w = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      true,
      "sk_w",
    );
    const opt = new A2SOptimizer({ nonFinite: "skip" });
    const good = () =>
      tf.tensor2d([
        [0.1, -0.2],
        [0.3, -0.4],
      ]);
    tf.tidy(() => opt.applyGradients({ sk_w: good() }));
    const before = await stateOf(opt, [w]);
    tf.tidy(() =>
      opt.applyGradients({
        sk_w: tf.tensor2d([
          [0.1, Number.NaN],
          [0.3, -0.4],
        ]),
      }),
    );
    expect(await stateOf(opt, [w])).toEqual(before);
    expect(await opt.readSkippedSteps()).toBe(1);
    // Documented: the host step count counts calls, skipped ones included.
    expect(opt.iterations).toBe(2);
    tf.tidy(() => opt.applyGradients({ sk_w: good() }));
    expect(await opt.readSkippedSteps()).toBe(1);
    expect((await stateOf(opt, [w])).params).not.toEqual(before.params);
    opt.dispose();
  });

  it("with finite gradients, gives the same trajectory as the eager mode", async () => {
    const a = tf.variable(tf.tensor1d([1, -1, 2]), true, "sk_a");
    const b = tf.variable(tf.tensor1d([1, -1, 2]), true, "sk_b");
    const eager = new A2SOptimizer({ switchIter: 2, blendIters: 3, curvatureK: 1 });
    const guarded = new A2SOptimizer({ switchIter: 2, blendIters: 3, curvatureK: 1, nonFinite: "skip" });
    for (let i = 1; i <= 8; i++) {
      tf.tidy(() => {
        const g = tf.tensor1d([0.3, -0.1, 0.2]).mul(Math.sin(i) + 1.5);
        eager.applyGradients({ sk_a: g });
        guarded.applyGradients({ sk_b: g });
      });
    }
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    expect(await guarded.readSkippedSteps()).toBe(0);
    eager.dispose();
    guarded.dispose();
  });

  it("refuses an unknown mode, naming the option", () => {
    expect(() => new A2SOptimizer({ nonFinite: "ignore" as "skip" })).toThrow(InvalidOptionError);
    expect(() => new A2SOptimizer({ nonFinite: "ignore" as "skip" })).toThrow(/nonFinite/);
  });
});
