import { A2S as TypedA2S } from "@a2s/typed";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { A2S, A2SOptimizer, a2s, CheckpointError, TensorMismatchError } from "../src/index.js";
import { useBackend } from "./backends.js";

beforeAll(() => useBackend("cpu"));
afterEach(() => tf.disposeVariables());

describe("serialization", () => {
  it("is registered as A2S and round-trips its config", () => {
    expect(A2S).toBe(A2SOptimizer);
    expect(A2SOptimizer.className).toBe("A2S");
    expect(tf.serialization.SerializationMap.getMap().classNameMap.A2S?.[0]).toBe(A2SOptimizer);
    const opt = a2s({ lrAdam: 0.003, switchIter: 7, nonFinite: "skip" });
    expect(opt.getClassName()).toBe("A2S");
    const copy = A2SOptimizer.fromConfig(A2SOptimizer, {
      ...opt.getConfig(),
      customObjects: {},
    }) as A2SOptimizer;
    expect(copy.getConfig()).toEqual(opt.getConfig());
    expect(copy.nonFinite).toBe("skip");
    opt.dispose();
    copy.dispose();
  });

  it("getWeights lists iter, then m, v, buf, prev per variable in first-step order", async () => {
    tf.variable(tf.zeros([2]), true, "ser_b");
    tf.variable(tf.zeros([2, 2]), true, "ser_a");
    const opt = a2s();
    tf.tidy(() =>
      opt.applyGradients([
        { name: "ser_b", tensor: tf.ones([2]) },
        { name: "ser_a", tensor: tf.ones([2, 2]) },
      ]),
    );
    const names = (await opt.getWeights()).map((w) => w.name);
    expect(names).toEqual([
      "iter",
      ...["ser_b", "ser_a"].flatMap((v) => ["m", "v", "buf", "prev"].map((s) => `${v}/${s}`)),
    ]);
    opt.dispose();
  });

  it("setWeights refuses weights that are not A2S's, keeping its state", async () => {
    const w = tf.variable(tf.ones([3]), true, "ser_w");
    const opt = a2s();
    tf.tidy(() => opt.applyGradients({ ser_w: tf.onesLike(w) }));
    const weights = await opt.getWeights();
    const cases: { name: string; tensor: tf.Tensor }[][] = [
      weights.slice(0, 4), // a slot short
      [weights[0] as { name: string; tensor: tf.Tensor }, ...weights.slice(1).reverse()], // order
      weights.map((x, i) => (i === 2 ? { name: x.name, tensor: tf.tensor1d([0, Number.NaN, 0]) } : x)),
    ];
    for (const bad of cases) await expect(opt.setWeights(bad)).rejects.toThrow(CheckpointError);
    expect((await opt.getWeights()).map((x) => x.name)).toEqual(weights.map((x) => x.name));
    expect(opt.iterations).toBe(1);
    opt.dispose();
  });

  it("loads a float64 checkpoint of @a2s/typed, flat arrays taking the variable's shape", async () => {
    const typed = new TypedA2S({ switchIter: 1, blendIters: 3 });
    const params = { ser_k: new Float64Array([1, 2, 3, 4, 5, 6]) };
    for (let i = 0; i < 2; i++)
      typed.update(params, {
        ser_k: Float64Array.from([0.1, 0.2, -0.3, 0.4, -0.5, 0.6], (x) => x * (i + 1)),
      });
    const k = tf.variable(tf.tensor2d(Array.from(params.ser_k), [2, 3]), true, "ser_k");
    const opt = a2s();
    opt.loadCheckpoint(typed.saveCheckpoint());
    expect(opt.options.switchIter).toBe(1);
    expect(opt.iterations).toBe(2);
    const grad = Float64Array.from([0.2, -0.1, 0.3, 0.1, 0.2, -0.4]);
    typed.update(params, { ser_k: grad });
    tf.tidy(() => opt.applyGradients({ ser_k: tf.tensor2d(Array.from(grad), [2, 3]) }));
    const slots = await opt.getWeights();
    expect(slots[1]?.tensor.shape).toEqual([2, 3]);
    // typed computes in float64, tfjs in float32 from float32-rounded state: agreement to
    // float32 resolution (values are of order 1).
    for (const [i, x] of (await k.data()).entries()) expect(x).toBeCloseTo(params.ser_k[i] as number, 6);
    opt.dispose();
  });

  it("refuses a gradient of an unregistered or wrongly shaped variable, naming it", () => {
    tf.variable(tf.zeros([2, 3]), true, "ser_shape");
    const opt = a2s();
    expect(() => opt.applyGradients({ nowhere: tf.zeros([2]) })).toThrow(TensorMismatchError);
    expect(() => opt.applyGradients({ ser_shape: tf.zeros([3, 2]) })).toThrow(/ser_shape/);
    expect(opt.iterations).toBe(0);
    opt.dispose();
  });
});
