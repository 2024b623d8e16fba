import { a2s as a2sAlgorithm } from "@a2s/core";
import { Optimizer as TypedOptimizer } from "@a2s/typed";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  A2S,
  Adam,
  a2s,
  adam,
  decodeCheckpoint,
  InvalidCallError,
  InvalidOptionError,
  Optimizer,
  RMSProp,
  rmsprop,
  SGDMomentum,
  sgdMomentum,
  TensorMismatchError,
} from "../src/index.js";
import { useBackend } from "./backends.js";

beforeAll(() => useBackend("cpu"));
afterEach(() => tf.disposeVariables());

describe("applyGradients", () => {
  test("takes a NamedTensorMap: the first step is Adam at lrAdam (curvature 0, m̂ = g, v̂ = g²)", () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]), true, "op_w");
    const optimizer = a2s({ lrAdam: 0.1, epsilon: 1e-8 });
    tf.tidy(() => optimizer.applyGradients({ op_w: tf.tensor1d([0.5, -4, 0]) }));
    // g/(|g| + eps) is ±1 up to 1e-8 relative; 0 stays 0. float32 rounding of 1 - 0.1 etc.: 1e-6.
    expect(Array.from(w.dataSync())).toEqual([
      expect.closeTo(0.9, 6),
      expect.closeTo(-1.9, 6),
      expect.closeTo(3, 6),
    ]);
    expect(optimizer.iterations).toBe(1);
    expect(optimizer.t).toBe(1);
    expect(optimizer.diagnostics).toMatchObject({ t: 1, w: 1, curvature: 0, lrScale: 1, clipFactor: 1 });
    optimizer.dispose();
  });

  test("takes a NamedTensor[] and gives the same result as the map form", () => {
    const a = tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]), true, "op_a");
    const b = tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]), true, "op_b");
    const optA = a2s({ curvatureK: 0.5 });
    const optB = a2s({ curvatureK: 0.5 });
    for (const scale of [1, -2, 3]) {
      tf.tidy(() => {
        const g = tf.tensor2d([0.1, -0.2, 0.3, 0.4], [2, 2]).mul(scale);
        optA.applyGradients({ op_a: g });
        optB.applyGradients([{ name: "op_b", tensor: g }]);
      });
    }
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual([1, 2, 3, 4]);
    optA.dispose();
    optB.dispose();
  });

  test.each([
    ["A2S", () => a2s({ lrAdam: 0.05, lrSgd: 0.05, switchIter: 20, blendIters: 20 })],
    ["Adam", () => adam({ learningRate: 0.05 })],
    ["RMSProp", () => rmsprop({ learningRate: 0.1 })],
    ["SGDMomentum", () => sgdMomentum({ learningRate: 0.02 })],
  ] as const)("minimize (%s) lowers a quadratic", (_, make) => {
    const x = tf.variable(tf.tensor1d([3, -3]), true, "op_x");
    const optimizer = make();
    const loss = () => tf.sum(tf.square(x)) as tf.Scalar;
    const before = loss().dataSync()[0] as number;
    for (let i = 0; i < 60; i++) optimizer.minimize(loss);
    expect(loss().dataSync()[0]).toBeLessThan(before / 10);
    optimizer.dispose();
  });

  test("the factories make the named classes, which know their algorithm", () => {
    const made = [a2s(), adam(), rmsprop(), sgdMomentum()];
    expect(made.map((o) => o.constructor)).toEqual([A2S, Adam, RMSProp, SGDMomentum]);
    expect(made.map((o) => o.algorithm)).toEqual(["A2S", "Adam", "RMSProp", "SGDMomentum"]);
    // tf.Optimizer answers instanceof by duck typing; these classes answer by class.
    expect(tf.train.adam() instanceof Adam).toBe(false);
    expect(made[1] instanceof Adam).toBe(true);
    expect(made[1] instanceof tf.Optimizer).toBe(true);
    for (const o of made) o.dispose();
  });

  test("a refused first step makes no state and leaks nothing", () => {
    const w = tf.variable(tf.zeros([4, 3]), true, "op_lazy");
    const optimizer = a2s();
    const refused = () =>
      expect(() => tf.tidy(() => optimizer.applyGradients({ op_lazy: tf.fill([4, 3], Number.NaN) }))).toThrow(
        expect.objectContaining({ name: "NonFiniteGradientError", tensor: "op_lazy" }),
      );
    refused();
    // The first attempt cached the hyperparameter scalars; nothing else stays.
    const numTensors = tf.memory().numTensors;
    refused();
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(optimizer.t).toBe(0);
    expect(decodeCheckpoint(optimizer.saveCheckpoint()).tensors).toEqual([]);
    tf.tidy(() => optimizer.applyGradients({ op_lazy: tf.onesLike(w) }));
    expect(decodeCheckpoint(optimizer.saveCheckpoint()).tensors.map((t) => t.shape)).toEqual([[4, 3]]);
    optimizer.dispose();
  });

  test("keeps its own copy of the previous gradient when the caller refills the gradient's buffer (cpu)", () => {
    tf.variable(tf.zeros([3]), true, "op_buf");
    const buffer = new Float32Array(3);
    const step = (values: number[]) => {
      buffer.set(values);
      // On the cpu backend this tensor is the buffer itself.
      const grad = tf.tensor1d(buffer);
      optimizer.applyGradients({ op_buf: grad });
      grad.dispose();
    };
    const optimizer = a2s();
    step([1, 2, 3]);
    step([4, -2, 3]);
    // ‖(4, -2, 3) − (1, 2, 3)‖ = 5: the previous gradient is the first one, not the refilled buffer.
    expect(optimizer.diagnostics?.curvature).toBeCloseTo(5, 5);
    buffer.set([9, 9, 9]);
    const prev = decodeCheckpoint(optimizer.saveCheckpoint()).tensors[0]?.slots.prev;
    expect(Array.from(prev ?? [])).toEqual([4, -2, 3]);
    optimizer.dispose();
  });

  test("varList: a first step without a gradient of one of them, or with another, is refused", () => {
    const a = tf.variable(tf.ones([2]), true, "op_va");
    const b = tf.variable(tf.ones([2]), true, "op_vb");
    tf.variable(tf.ones([2]), true, "op_vc");
    const optimizer = a2s({}, { varList: [a, b] });
    expect(() => tf.tidy(() => optimizer.applyGradients({ op_va: tf.ones([2]) }))).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "op_vb", kind: "missing" }),
    );
    expect(() =>
      tf.tidy(() =>
        optimizer.applyGradients({ op_va: tf.ones([2]), op_vb: tf.ones([2]), op_vc: tf.ones([2]) }),
      ),
    ).toThrow(expect.objectContaining({ name: "TensorMismatchError", tensor: "op_vc", kind: "unexpected" }));
    expect(optimizer.t).toBe(0);
    tf.tidy(() => optimizer.applyGradients({ op_vb: tf.ones([2]), op_va: tf.ones([2]) }));
    expect(optimizer.t).toBe(1);
    optimizer.dispose();
  });

  test("refuses a gradient of an unregistered or wrongly shaped variable, naming it", () => {
    tf.variable(tf.zeros([2, 3]), true, "op_shape");
    const optimizer = a2s();
    expect(() => optimizer.applyGradients({ nowhere: tf.zeros([2]) })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "nowhere", kind: "unexpected" }),
    );
    expect(() => optimizer.applyGradients({ op_shape: tf.zeros([3, 2]) })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "op_shape", kind: "length" }),
    );
    expect(optimizer.t).toBe(0);
    optimizer.dispose();
  });

  test.each(["constructor", "toString"])("refuses a gradient keyed %s with a TensorMismatchError", (key) => {
    const optimizer = a2s();
    expect(() => optimizer.applyGradients({ [key]: tf.zeros([2]) })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: key, kind: "unexpected" }),
    );
    expect(() => optimizer.applyGradients([{ name: key, tensor: tf.zeros([2]) }])).toThrow(
      TensorMismatchError,
    );
    optimizer.dispose();
  });
});

describe("dispose", () => {
  test("frees every tensor the optimizer made", async () => {
    const w = tf.variable(tf.ones([10]), true, "op_dispose");
    const start = tf.memory().numTensors;
    for (const nonFinite of ["throw", "skip"] as const) {
      const optimizer = a2s({ switchIter: 1, blendIters: 2 }, { nonFinite });
      for (let i = 0; i < 3; i++)
        tf.tidy(() => optimizer.applyGradients({ op_dispose: tf.onesLike(w).mul(i + 1) }));
      await optimizer.getWeights();
      await optimizer.readDiagnostics();
      expect(tf.memory().numTensors).toBeGreaterThan(start);
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(start);
    }
  });

  test("after dispose, applyGradients and the state calls throw InvalidCallError and change nothing", async () => {
    const w = tf.variable(tf.ones([3]), true, "op_disposed");
    const optimizer = a2s();
    tf.tidy(() => optimizer.applyGradients({ op_disposed: tf.onesLike(w) }));
    const saved = optimizer.saveCheckpoint();
    const before = Array.from(w.dataSync());
    optimizer.dispose();
    expect(() => tf.tidy(() => optimizer.applyGradients({ op_disposed: tf.onesLike(w) }))).toThrow(
      expect.objectContaining({ name: "InvalidCallError", operation: "applyGradients" }),
    );
    expect(Array.from(w.dataSync())).toEqual(before);
    expect(optimizer.t).toBe(1);
    expect(() => optimizer.saveCheckpoint()).toThrow(InvalidCallError);
    expect(() => optimizer.loadCheckpoint(saved)).toThrow(InvalidCallError);
    await expect(optimizer.getWeights()).rejects.toThrow(InvalidCallError);
    await expect(optimizer.setWeights([])).rejects.toThrow(InvalidCallError);
    optimizer.dispose();
  });
});

describe("settings", () => {
  test.each([
    [{ nonFinite: "ignore" }, "nonFinite"],
    [{ varList: [1] }, "varList"],
    [{ nonfinite: "skip" }, "nonfinite"],
    [{ allReduce: 3 }, "allReduce"],
  ])("refuses %j, naming %s", (settings, option) => {
    expect(() => a2s({}, settings as never)).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option }),
    );
  });

  test("refuses an unknown option, naming it (nonFinite is a setting, not an option)", () => {
    expect(() => a2s({ nonFinite: "skip" } as never)).toThrow(InvalidOptionError);
    expect(() => a2s({ lr: 0.1 } as never)).toThrow(expect.objectContaining({ option: "lr" }));
  });

  test("a synchronous allReduce's sums are the step's: the trajectory equals @a2s/typed's with the same allReduce", () => {
    const options = { curvatureK: 2, clipNorm: 0.5, switchIter: 2, blendIters: 3 };
    // As if three more shards held gradients like these: every global sum is 4 times the local one.
    const allReduce = (partials: Float64Array) => partials.map((x) => 4 * x);
    const variable = tf.variable(tf.tensor1d([1, -1, 2]), true, "op_reduce");
    const optimizer = a2s(options, { allReduce });
    const typed = new TypedOptimizer(a2sAlgorithm(options), { allReduce });
    const params = { op_reduce: Float32Array.of(1, -1, 2) };
    for (let i = 1; i <= 6; i++) {
      const g = Float32Array.from([0.3, -0.1, 0.2], (x) => x * (Math.sin(i) + 1.5));
      tf.tidy(() => optimizer.applyGradients({ op_reduce: tf.tensor1d(g) }));
      typed.update(params, { op_reduce: g });
      // Same float32 formulas; the typed kernel sums in float64: agreement to float32 resolution.
      for (const [k, x] of variable.dataSync().entries())
        expect(x).toBeCloseTo(params.op_reduce[k] as number, 5);
    }
    expect(optimizer.diagnostics?.clipFactor).toBeCloseTo(typed.diagnostics?.clipFactor as number, 5);
    expect(optimizer.diagnostics?.clipFactor).toBeLessThan(1);
    optimizer.dispose();
  });

  test("an allReduce that returns no sums, or too few, is refused with an InvalidCallError", () => {
    tf.variable(tf.tensor1d([1, 2]), true, "op_bad_reduce");
    for (const allReduce of [() => null, () => new Float64Array(0)]) {
      const optimizer = a2s({}, { allReduce: allReduce as never });
      expect(() => tf.tidy(() => optimizer.applyGradients({ op_bad_reduce: tf.ones([2]) }))).toThrow(
        expect.objectContaining({ name: "InvalidCallError", operation: "allReduce" }),
      );
      expect(optimizer.t).toBe(0);
      optimizer.dispose();
    }
  });

  test("an allReduce that returns a promise is refused with an InvalidCallError, changing nothing", () => {
    const variable = tf.variable(tf.tensor1d([1, 2]), true, "op_async");
    const optimizer = a2s({}, { allReduce: async (partials) => partials });
    const saved = optimizer.saveCheckpoint();
    const refused = () =>
      expect(() => tf.tidy(() => optimizer.applyGradients({ op_async: tf.ones([2]) }))).toThrow(
        expect.objectContaining({ name: "InvalidCallError", operation: "allReduce" }),
      );
    refused();
    const numTensors = tf.memory().numTensors;
    refused();
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(optimizer.saveCheckpoint()).toEqual(saved);
    expect(Array.from(variable.dataSync())).toEqual([1, 2]);
    optimizer.dispose();
  });
});

test("the generic Optimizer runs any core algorithm, and reports what it is", () => {
  const variable = tf.variable(tf.tensor1d([1, 2]), true, "op_generic");
  const optimizer = new Optimizer(a2sAlgorithm({ lrAdam: 0.1 }));
  tf.tidy(() => optimizer.applyGradients({ op_generic: tf.ones([2]) }));
  expect(optimizer.algorithm).toBe("A2S");
  expect(optimizer.options.lrAdam).toBe(0.1);
  expect(Array.from(variable.dataSync())).toEqual([expect.closeTo(0.9, 6), expect.closeTo(1.9, 6)]);
  expect(() => new Optimizer({} as never)).toThrow(expect.objectContaining({ option: "algorithm" }));
  optimizer.dispose();
});
