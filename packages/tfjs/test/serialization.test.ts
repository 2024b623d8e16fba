import { outsideAlgorithm } from "@a2s/conformance";
import { adam as adamAlgorithm } from "@a2s/core";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  A2S,
  Adam,
  a2s,
  adam,
  CheckpointError,
  cosineDecaySchedule,
  joinSchedules,
  linearSchedule,
  type NamedTensor,
  Optimizer,
  RMSProp,
  rmsprop,
  SGDMomentum,
  sgdMomentum,
} from "../src/index.js";
import { useBackend } from "./backends.js";

beforeAll(() => useBackend("cpu"));
afterEach(() => tf.disposeVariables());

const classNameMap = () => tf.serialization.SerializationMap.getMap().classNameMap;

/** Every feature that config data must carry: schedules, Infinity, groups by pattern and by name. */
const FEATURED = {
  lrAdam: cosineDecaySchedule({ initValue: 0.01, decaySteps: 100, alpha: 0.1 }),
  lrSgd: joinSchedules(
    [
      linearSchedule({ initValue: 0, endValue: 0.02, transitionSteps: 10 }),
      cosineDecaySchedule({ initValue: 0.02, decaySteps: 90 }),
    ],
    [10],
  ),
  switchIter: Number.POSITIVE_INFINITY,
  weightDecay: 1e-4,
  clipNorm: 5,
  groups: [
    { tensors: /dense_Dense\d+\/bias/i, weightDecay: 0 },
    { tensors: ["dense_Dense1/kernel", "50%_off"], lrAdam: 0.002 },
  ],
};

const CLASSES: [string, () => Optimizer][] = [
  ["A2S with schedules, groups, Infinity and nonFinite skip", () => a2s(FEATURED, { nonFinite: "skip" })],
  ["Adam", () => adam({ learningRate: 0.003, beta2: 0.99, weightDecay: 0.01 })],
  ["RMSProp", () => rmsprop({ decay: 0.8, clipNorm: 1 })],
  ["SGDMomentum", () => sgdMomentum({ momentum: 0.5 })],
  [
    "the generic Optimizer over a built-in algorithm",
    () => new Optimizer(adamAlgorithm({ learningRate: 0.2 })),
  ],
];

describe("registration", () => {
  test("each class is registered under a name of its own, beside tfjs's optimizers", () => {
    const ours = {
      A2S,
      "A2S.Adam": Adam,
      "A2S.RMSProp": RMSProp,
      "A2S.SGDMomentum": SGDMomentum,
      "A2S.Optimizer": Optimizer,
    };
    for (const [name, cls] of Object.entries(ours)) {
      expect(cls.className).toBe(name);
      expect(classNameMap()[name]?.[0]).toBe(cls);
    }
    // tfjs's own names still lead to tfjs's classes (loadLayersModel of a tf.train.* model).
    expect(classNameMap().Adam?.[0]).toBe(tf.AdamOptimizer);
    expect(classNameMap().RMSProp?.[0]).toBe(tf.RMSPropOptimizer);
    expect(classNameMap().Momentum?.[0]).toBe(tf.MomentumOptimizer);
  });
});

describe("getConfig / fromConfig", () => {
  test.each(CLASSES)("%s: fromConfig(getConfig()) gives the same class, options and settings", (_, make) => {
    const optimizer = make();
    const cls = optimizer.constructor as typeof Optimizer;
    // tfjs-layers adds customObjects to the config it passes.
    const copy = cls.fromConfig(cls, { ...optimizer.getConfig(), customObjects: {} }) as Optimizer;
    expect(copy.constructor).toBe(cls);
    expect(copy.algorithm).toBe(optimizer.algorithm);
    expect(copy.options).toEqual(optimizer.options);
    expect(copy.nonFinite).toBe(optimizer.nonFinite);
    expect(copy.getConfig()).toEqual(optimizer.getConfig());
    optimizer.dispose();
    copy.dispose();
  });

  test("the config is JSON data: Infinity as a string, schedules as data, patterns as { regexp, flags }", () => {
    const config = a2s(FEATURED).getConfig();
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    expect(config.switchIter).toBe("Infinity");
    expect(config.lrAdam).toEqual({ type: "cosineDecay", initValue: 0.01, decaySteps: 100, alpha: 0.1 });
    // Underscores escaped: tfjs-layers camel-cases strings that hold one when it loads a config.
    expect(config.groups).toEqual([
      { tensors: { regexp: "dense%5FDense\\d+\\/bias", flags: "i" }, weightDecay: 0 },
      { tensors: ["dense%5FDense1/kernel", "50%25%5Foff"], lrAdam: 0.002 },
    ]);
  });

  test("fromConfig refuses an invalid option, an unknown one, and a function schedule, naming them", () => {
    const config = adam().getConfig();
    expect(() => Adam.fromConfig(Adam, { ...config, beta1: 1 })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "beta1" }),
    );
    expect(() => Adam.fromConfig(Adam, { ...config, lr: 0.1 })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "lr" }),
    );
    const withFunction = adam({ learningRate: (t: number) => 0.01 / t }).getConfig();
    expect(withFunction.learningRate).toEqual({ type: "function" });
    expect(() => Adam.fromConfig(Adam, withFunction)).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "learningRate" }),
    );
    const generic = new Optimizer(outsideAlgorithm()).getConfig();
    expect(generic.algorithm).toBe("NormalizedMomentum");
    expect(() => Optimizer.fromConfig(Optimizer, generic)).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "algorithm" }),
    );
  });

  test("a config written before the engine (numbers only, no weightDecay or clipNorm) loads", () => {
    const old = {
      lrAdam: 0.001,
      lrSgd: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      momentum: 0.9,
      curvatureK: 0.05,
      switchIter: 1500,
      blendIters: 3000,
      epsilon: 1e-8,
      windowSize: 10,
      nonFinite: "throw",
    };
    const optimizer = A2S.fromConfig(A2S, old) as A2S;
    expect(optimizer.options).toEqual(a2s().options);
    optimizer.dispose();
  });
});

describe("getWeights / setWeights", () => {
  const step = (optimizer: Optimizer, scale: number) =>
    tf.tidy(() =>
      optimizer.applyGradients([
        { name: "ser_b", tensor: tf.tensor1d([0.1, -0.2]).mul(scale) },
        { name: "ser_a", tensor: tf.tensor2d([0.3, 0.1, -0.4, 0.2], [2, 2]).mul(scale) },
      ]),
    );

  test("lists iter, the algorithm's scalars, then each variable's slots in the optimizer's order", async () => {
    tf.variable(tf.zeros([2]), true, "ser_b");
    tf.variable(tf.zeros([2, 2]), true, "ser_a");
    const optimizer = new Optimizer(outsideAlgorithm());
    expect((await optimizer.getWeights()).map((w) => w.name)).toEqual(["iter"]);
    step(optimizer, 1);
    const weights = await optimizer.getWeights();
    expect(weights.map((w) => w.name)).toEqual(["iter", "scalar/steps", "ser_b/velocity", "ser_a/velocity"]);
    expect(weights[0]?.tensor.dtype).toBe("int32");
    expect(Array.from(weights[1]?.tensor.dataSync() ?? [])).toEqual([1]);
    optimizer.dispose();
  });

  test("setWeights(getWeights()) into a new optimizer continues bit for bit, per-optimizer scalars included", async () => {
    const a = tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]), true, "ser_a");
    const b = tf.variable(tf.tensor1d([1, -1]), true, "ser_b");
    const first = new Optimizer(outsideAlgorithm({ halveAfter: 3 }));
    for (let i = 1; i <= 2; i++) step(first, i);
    const second = new Optimizer(outsideAlgorithm({ halveAfter: 3 }));
    await second.setWeights(await first.getWeights());
    const values = () => [...a.dataSync(), ...b.dataSync()];
    const start = values();
    for (let i = 3; i <= 6; i++) step(first, i);
    const expected = values();
    a.assign(tf.tensor2d(start.slice(0, 4), [2, 2]));
    b.assign(tf.tensor1d(start.slice(4)));
    for (let i = 3; i <= 6; i++) step(second, i);
    // The scalar steps crossed halveAfter at step 4 in both.
    expect(values()).toEqual(expected);
    expect(second.diagnostics?.steps).toBe(6);
    first.dispose();
    second.dispose();
  });

  test("setWeights(getWeights()) of an optimizer that took no step leaves a fresh optimizer that trains", async () => {
    const w = tf.variable(tf.ones([3]), true, "ser_fresh");
    const optimizer = a2s();
    await optimizer.setWeights(await a2s().getWeights());
    tf.tidy(() => optimizer.applyGradients({ ser_fresh: tf.onesLike(w) }));
    expect(optimizer.t).toBe(1);
    optimizer.dispose();
  });

  test("takes the slots of a variable in any order, as the pre-engine A2S listed them (m, v, buf, prev)", async () => {
    tf.variable(tf.tensor1d([1, 2, 3]), true, "ser_old");
    const first = a2s({ switchIter: 1, blendIters: 3 });
    const grads = [0.5, -1, 2].map((s) => tf.tensor1d([0.1, 0.2, -0.3]).mul(s));
    for (const g of grads.slice(0, 2)) first.applyGradients({ ser_old: g });
    const weights = await first.getWeights();
    const bySlot = (slot: string) => weights.find((x) => x.name === `ser_old/${slot}`) as NamedTensor;
    const oldOrder = [weights[0] as NamedTensor, ...["m", "v", "buf", "prev"].map(bySlot)];
    const second = a2s({ switchIter: 1, blendIters: 3 });
    await second.setWeights(oldOrder);
    expect(second.saveCheckpoint()).toEqual(first.saveCheckpoint());
    first.dispose();
    second.dispose();
    tf.dispose(grads);
  });

  test("setWeights refuses weights that are not its algorithm's with a CheckpointError, keeping its state", async () => {
    const w = tf.variable(tf.ones([3]), true, "ser_w");
    const optimizer = a2s();
    tf.tidy(() => optimizer.applyGradients({ ser_w: tf.onesLike(w) }));
    const saved = optimizer.saveCheckpoint();
    const weights = await optimizer.getWeights();
    const at = (i: number) => weights[i] as NamedTensor;
    const disposed = tf.tensor1d([1, 2, 3]);
    disposed.dispose();
    const cases: [string, NamedTensor[], string][] = [
      ["a slot short", weights.slice(0, 4), "ser_w/buf is missing"],
      [
        "a slot of another name",
        [...weights.slice(0, 4), { name: "ser_w/velocity", tensor: at(4).tensor }],
        "ser_w/buf is missing",
      ],
      [
        "a NaN in a slot",
        weights.map((x, i) => (i === 2 ? { name: x.name, tensor: tf.tensor1d([0, Number.NaN, 0]) } : x)),
        "ser_w.m[1] is NaN",
      ],
      [
        "slots of different shapes",
        weights.map((x, i) => (i === 3 ? { name: x.name, tensor: tf.zeros([3, 1]) } : x)),
        "has shape [3,1]",
      ],
      [
        "a step count that is no integer",
        [{ name: "iter", tensor: tf.scalar(1.5) }, ...weights.slice(1)],
        "step count",
      ],
      ["no step count", [], "iter"],
      [
        "a disposed tensor",
        weights.map((x, i) => (i === 1 ? { name: x.name, tensor: disposed } : x)),
        "live tensor",
      ],
    ];
    for (const [what, bad, mentions] of cases) {
      await expect(optimizer.setWeights(bad), what).rejects.toThrow(
        expect.objectContaining({ name: "CheckpointError", message: expect.stringContaining(mentions) }),
      );
      expect(optimizer.saveCheckpoint(), what).toEqual(saved);
    }
    await expect(optimizer.setWeights([])).rejects.toThrow(CheckpointError);
    optimizer.dispose();
  });
});
