import { outsideAlgorithm } from "@a2s/conformance";
import { Optimizer, A2S as TypedA2S } from "@a2s/typed";
import { describe, expect, test } from "vitest";
import {
  A2SNeuralNetwork,
  type Algorithm,
  a2s,
  adam,
  algorithmFrom,
  cosineDecaySchedule,
  exponentialDecay,
  InvalidOptionError,
  linearSchedule,
  resolveOptionSet,
  rmsprop,
  sgdMomentum,
  warmupCosineDecaySchedule,
} from "../src/index.js";
import { fresh, layerRecord, snapshot, thrown, xor } from "./helpers.js";
import { brainJSON } from "./reference-mlp.js";

const SIZES = [3, 5, 2];
const json = () => brainJSON(SIZES, "tanh", 4);

/** Gradients for every layer tensor of a 3-5-2 network, different at every step. */
function gradients(step: number): Record<string, Float32Array> {
  const shapes: Record<string, number> = { "weights.1": 15, "biases.1": 5, "weights.2": 10, "biases.2": 2 };
  return Object.fromEntries(
    Object.entries(shapes).map(([name, n], k) => [
      name,
      Float32Array.from({ length: n }, (_, i) => Math.sin(1.7 * step + 0.9 * i + 3.1 * k)),
    ]),
  );
}

const EVERY_FEATURE = {
  lrAdam: warmupCosineDecaySchedule({ initValue: 0, peakValue: 0.02, warmupSteps: 3, decaySteps: 20 }),
  lrSgd: exponentialDecay({ initValue: 0.05, transitionSteps: 4, decayRate: 0.5, staircase: true }),
  weightDecay: 0.01,
  clipNorm: 2,
  switchIter: 4,
  blendIters: 6,
  curvatureK: 0.3,
  groups: [
    { tensors: /^biases\./, weightDecay: 0, lrAdam: 0.005 },
    { tensors: ["weights.2"], beta1: 0.5, momentum: 0.6 },
  ],
};

/** The algorithms a brain user may pass, each with non-default options. */
const ALGORITHMS: [string, () => Algorithm][] = [
  ["A2S with every feature", () => a2s(EVERY_FEATURE)],
  [
    "Adam (AdamW, cosine rate, clipping)",
    () =>
      adam({
        learningRate: cosineDecaySchedule({ initValue: 0.01, decaySteps: 10 }),
        weightDecay: 0.05,
        clipNorm: 1,
      }),
  ],
  [
    "RMSProp with a group",
    () =>
      rmsprop({ learningRate: 0.01, decay: 0.8, groups: [{ tensors: ["biases.2"], learningRate: 0.001 }] }),
  ],
  ["SGDMomentum", () => sgdMomentum({ learningRate: 0.05, momentum: 0.7 })],
  [
    "an algorithm defined outside core",
    () => outsideAlgorithm({ learningRate: 0.3, beta: 0.6, halveAfter: 4 }),
  ],
];

describe("any algorithm as the network's optimizer", () => {
  test.each(ALGORITHMS)("%s: each step equals @a2s/typed's on the same tensors and gradients", (_, make) => {
    const net = new A2SNeuralNetwork({ optimizer: make() }).fromJSON(json());
    const params = layerRecord(net);
    const reference = new Optimizer(make());
    for (let step = 1; step <= 12; step++) {
      net.applyGradients(gradients(step));
      reference.update(params, gradients(step));
      expect(layerRecord(net), `after step ${step}`).toEqual(params);
      expect(net.diagnostics).toEqual(reference.diagnostics);
    }
    expect(net.algorithm).toBe(reference.algorithm);
    expect(net.options).toEqual(reference.options);
    // The options acted: the algorithm at its defaults takes another path.
    const { definition } = make();
    const defaults = new A2SNeuralNetwork({
      optimizer: algorithmFrom(definition, resolveOptionSet(definition.options, {})),
    }).fromJSON(json());
    for (let step = 1; step <= 12; step++) defaults.applyGradients(gradients(step));
    expect(layerRecord(defaults)).not.toEqual(params);
  });

  test.each([
    ["Adam", adam({ learningRate: 0.05 })],
    ["RMSProp", rmsprop({ learningRate: 0.01 })],
    ["SGDMomentum", sgdMomentum({ learningRate: 0.3 })],
  ])("%s trains XOR through brain's train", (name, algorithm) => {
    const net = fresh(algorithm);
    const status = net.train(xor, { iterations: 4000, errorThresh: 0.01 });
    expect(net.algorithm).toBe(name);
    expect(status.error).toBeLessThanOrEqual(0.01);
    for (const { input, output } of xor) expect(Math.round(net.run(input)[0] as number)).toBe(output[0]);
  });

  test("a group over brain's tensor names freezes what it names (rates 0)", () => {
    const net = fresh({ lrAdam: 0.05, groups: [{ tensors: /^biases\./, lrAdam: 0, lrSgd: 0 }] });
    const before = net.toJSON().layers;
    net.train(xor, { iterations: 20 });
    const after = net.toJSON().layers;
    const biases = (layers: object[]) =>
      layers.slice(1).map((layer) => Object.values(layer).map((node: { bias: number }) => node.bias));
    const weights = (layers: object[]) => layers.slice(1).map((layer) => JSON.stringify(layer));
    expect(biases(after)).toEqual(biases(before));
    expect(weights(after)).not.toEqual(weights(before));
  });

  test("a schedule drives the rate by the step count, which counts patterns", () => {
    const lrAdam = linearSchedule({ initValue: 0.05, endValue: 0.01, transitionSteps: 10 });
    const net = fresh({ lrAdam, curvatureK: 0 });
    net.train(xor, { iterations: 2 });
    expect(net.t).toBe(8);
    // At t = 8 the schedule gives 0.05 - 0.04 * 8 / 10; lrScale is 1 with curvatureK 0.
    expect(net.diagnostics?.lrAdam).toBeCloseTo(0.018, 15);
  });

  test("a group that takes none of the layer tensors is refused at the first step, naming it, nothing changed", () => {
    const net = fresh({ groups: [{ tensors: ["weights.1"] }, { tensors: ["weight.2"], weightDecay: 0.1 }] });
    const before = snapshot(net);
    const error = thrown(() => net.train(xor, { iterations: 1 }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: "groups[1].tensors" });
    expect((error as Error).message).toContain("weights.1, biases.1, weights.2, biases.2");
    expect(snapshot(net)).toEqual(before);
  });

  test("the optimizer option takes an algorithm, not a factory or an optimizer, and not beside a2s", () => {
    for (const wrong of [adam, new TypedA2S(), { lrAdam: 0.1 }, "adam"]) {
      const error = thrown(() => new A2SNeuralNetwork({ optimizer: wrong as never }));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: "optimizer" });
    }
    const both = thrown(() => new A2SNeuralNetwork({ optimizer: adam(), a2s: { lrAdam: 0.1 } }));
    expect(both).toBeInstanceOf(InvalidOptionError);
    expect(both).toMatchObject({ option: "a2s" });
    expect(() => new A2SNeuralNetwork({ a2s: { lrAdam: -1 } })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "lrAdam", value: -1 }),
    );
  });
});

describe("the optimizer in toJSON / fromJSON", () => {
  /** Through text, as a network is stored. */
  const stored = (net: A2SNeuralNetwork) => JSON.parse(JSON.stringify(net.toJSON()));

  test.each(
    ALGORITHMS.filter(([name]) => !name.includes("outside")),
  )("%s: algorithm and options (schedules, groups, Infinity) come back, and training continues alike", (_, make) => {
    const net = new A2SNeuralNetwork({ optimizer: make() }).fromJSON(json());
    for (let step = 1; step <= 5; step++) net.applyGradients(gradients(step));
    const copy = new A2SNeuralNetwork().fromJSON(stored(net));
    expect(copy.algorithm).toBe(net.algorithm);
    expect(copy.options).toEqual(net.options);
    copy.loadCheckpoint(net.saveCheckpoint());
    for (let step = 6; step <= 10; step++) {
      net.applyGradients(gradients(step));
      copy.applyGradients(gradients(step));
    }
    expect(layerRecord(copy)).toEqual(layerRecord(net));
  });

  test("an algorithm defined outside core comes back into a network made with it, and is refused by others", () => {
    const net = new A2SNeuralNetwork({ optimizer: outsideAlgorithm({ beta: 0.5 }) }).fromJSON(json());
    const data = stored(net);
    expect(data.optimizer).toEqual({
      algorithm: "NormalizedMomentum",
      options: { learningRate: 0.05, beta: 0.5, halveAfter: 3 },
    });
    const same = new A2SNeuralNetwork({ optimizer: outsideAlgorithm() }).fromJSON(data);
    expect(same.options).toEqual(net.options);
    const other = fresh();
    const before = snapshot(other);
    const error = thrown(() => other.fromJSON(data));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: "optimizer.algorithm", value: "NormalizedMomentum" });
    expect(snapshot(other)).toEqual(before);
  });

  test("a built-in algorithm in the JSON replaces the network's", () => {
    const data = stored(fresh(rmsprop({ decay: 0.5 })));
    const net = new A2SNeuralNetwork().fromJSON(data);
    expect(net.algorithm).toBe("RMSProp");
    expect(net.options.decay).toBe(0.5);
  });

  test("a function schedule is written as { type: 'function' } and taken back from the network that loads it", () => {
    const rate = (t: number) => 0.01 / t;
    const data = stored(fresh({ lrAdam: rate }));
    expect(data.optimizer.options.lrAdam).toEqual({ type: "function" });
    expect(new A2SNeuralNetwork({ a2s: { lrAdam: rate } }).fromJSON(data).options.lrAdam).toBe(rate);
    expect(() => new A2SNeuralNetwork().fromJSON(data)).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "lrAdam" }),
    );
  });

  test("bad optimizer JSON is refused naming the option, nothing changed", () => {
    const net = fresh();
    net.train(xor, { iterations: 2 });
    const before = snapshot(net);
    const good = stored(net);
    const cases: [unknown, string][] = [
      [{ ...good.optimizer, options: { ...good.optimizer.options, beta1: 1 } }, "beta1"],
      [{ ...good.optimizer, options: {} }, "lrAdam"],
      [{ algorithm: "Lion", options: {} }, "optimizer.algorithm"],
      [null, "optimizer.algorithm"],
    ];
    for (const [optimizer, option] of cases) {
      const error = thrown(() => net.fromJSON({ ...good, optimizer } as never));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option });
      expect(snapshot(net)).toEqual(before);
    }
    const both = thrown(() => net.fromJSON({ ...good, a2s: { lrAdam: 0.1 } }));
    expect(both).toMatchObject({ name: "InvalidOptionError", option: "a2s" });
  });
});
