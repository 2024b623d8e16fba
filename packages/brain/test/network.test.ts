import brain from "brain.js";
import { describe, expect, test } from "vitest";
import {
  A2S,
  A2S_DEFAULTS,
  A2SNeuralNetwork,
  CheckpointError,
  decodeCheckpoint,
  NonFiniteGradientError,
  TensorMismatchError,
} from "../src/index.js";
import { brainJSON } from "./reference-mlp.js";

const xor = [
  { input: [0, 0], output: [0] },
  { input: [0, 1], output: [1] },
  { input: [1, 0], output: [1] },
  { input: [1, 1], output: [0] },
];

/** A network over fixed weights, so that two of them start identical. */
const fresh = (a2s = {}, json = brainJSON([2, 4, 1], "sigmoid")) =>
  new A2SNeuralNetwork({ a2s }).fromJSON(json);

describe("A2SNeuralNetwork", () => {
  test("is a brain.NeuralNetwork, exported as A2S too", () => {
    expect(new A2SNeuralNetwork()).toBeInstanceOf(brain.NeuralNetwork);
    expect(A2S).toBe(A2SNeuralNetwork);
  });

  test("learns XOR with train, then run and test answer as brain's do", () => {
    const net = fresh({ lrAdam: 0.05 });
    const status = net.train(xor, { iterations: 3000, errorThresh: 0.005 });
    expect(status.error).toBeLessThanOrEqual(0.005);
    expect(status.iterations).toBeLessThan(3000);
    for (const { input, output } of xor) {
      expect(Math.round(net.run(input)[0] as number)).toBe(output[0]);
    }
    const result = net.test(xor as never) as { accuracy: number; total: number };
    expect(result.accuracy).toBe(1);
    expect(result.total).toBe(4);
    // One A2S step per pattern per iteration.
    expect(net.diagnostics()?.t).toBe(4 * status.iterations);
  });

  test("trainAsync takes the same steps as train", async () => {
    const sync = fresh();
    const async = fresh();
    const a = sync.train(xor, { iterations: 50, errorThresh: 0.0001 });
    const b = await async.trainAsync(xor, { iterations: 50, errorThresh: 0.0001 });
    expect(b).toEqual(a);
    expect(async.toJSON()).toEqual(sync.toJSON());
  });

  test("the A2S options are kept in toJSON and restored by fromJSON", () => {
    const net = fresh({ lrAdam: 0.02, switchIter: 7 });
    net.train(xor, { iterations: 20 });
    const json = JSON.parse(JSON.stringify(net.toJSON()));
    expect(json.a2s).toEqual({ ...A2S_DEFAULTS, lrAdam: 0.02, switchIter: 7 });
    const copy = new A2SNeuralNetwork().fromJSON(json);
    expect(copy.a2s).toEqual(net.a2s);
    expect(copy.run([0, 1])).toEqual(net.run([0, 1]));
    expect(copy.toJSON()).toEqual(net.toJSON());
  });

  test("a plain brain.js network's JSON loads, runs alike, and trains on with A2S", () => {
    const plain = new brain.NeuralNetwork({ hiddenLayers: [3] });
    plain.train(xor, { iterations: 30, praxis: "adam" });
    const plainJSON = plain.toJSON();
    expect(plainJSON.trainOpts.praxis).toBe("adam");
    const net = new A2SNeuralNetwork({ a2s: { lrAdam: 0.01 } }).fromJSON(plainJSON);
    for (const { input } of xor) expect(net.run(input)).toEqual(plain.run(input));
    expect(net.a2s.lrAdam).toBe(0.01);
    // brain's adam praxis is dropped: the next steps are A2S's.
    expect(plainJSON.trainOpts.praxis).toBe("adam");
    net.train(xor, { iterations: 2 });
    expect(net.diagnostics()?.t).toBe(8);
  });

  test("its JSON loads into a plain brain.NeuralNetwork, which runs alike", () => {
    const net = fresh({ lrAdam: 0.05 });
    net.train(xor, { iterations: 20 });
    const plain = new brain.NeuralNetwork().fromJSON(net.toJSON());
    for (const { input } of xor) expect(plain.run(input)).toEqual(net.run(input));
  });

  test("JSON round trips twice keep array outputs (brain 1.6.1 alone turns them into objects)", () => {
    let net = fresh();
    net.train(xor, { iterations: 2 });
    for (let trip = 0; trip < 2; trip++) {
      net = new A2SNeuralNetwork().fromJSON(JSON.parse(JSON.stringify(net.toJSON())));
      net.train(xor, { iterations: 1 });
    }
    expect(net.toJSON().outputLookup).toBe(false);
    expect(net.run([0, 1])).toBeInstanceOf(Float32Array);
  });

  // Finite data whose gradient overflows float32 (inputs of 1e30 give products near
  // 1e57): the step is refused as a whole.
  const overflowing = [{ input: [1e30, 1e30], output: [1] }];
  const relu = () => fresh({}, brainJSON([2, 4, 1], "relu", 28));

  test("a gradient that is not finite stops training with NonFiniteGradientError, that step not taken", () => {
    const net = relu();
    net.train(xor, { iterations: 2 });
    const before = net.toJSON().layers;
    const state = net.saveCheckpoint();
    expect(() => net.train(overflowing, { iterations: 1 })).toThrow(NonFiniteGradientError);
    expect(net.toJSON().layers).toEqual(before);
    expect(net.saveCheckpoint()).toEqual(state);
  });

  test("trainAsync rejects with that error instead of throwing it from a timer", async () => {
    await expect(relu().trainAsync(overflowing, { iterations: 1 })).rejects.toBeInstanceOf(
      NonFiniteGradientError,
    );
  });

  test("hash-form data (brain's lookup tables) trains too", () => {
    const net = new A2SNeuralNetwork({ a2s: { lrAdam: 0.05 } });
    net.train(
      [
        { input: { r: 1, g: 0.1 }, output: { red: 1 } },
        { input: { r: 0.1, g: 1 }, output: { green: 1 } },
      ],
      { iterations: 300 },
    );
    const out = net.run({ r: 1, g: 0.1 }) as unknown as Record<string, number>;
    expect(out["red"]).toBeGreaterThan(out["green"] as number);
  });
});

describe("checkpoints", () => {
  // A schedule that blends within the run, with curvature damping on.
  const a2s = { lrAdam: 0.02, lrSgd: 0.05, switchIter: 20, blendIters: 40, curvatureK: 0.5 };

  test("save mid-blend, load into a fresh network, and the rest of the run is the same", () => {
    const whole = fresh(a2s);
    whole.train(xor, { iterations: 10, errorThresh: 1e-6 });
    const weights = whole.toJSON();
    const state = whole.saveCheckpoint();
    expect(whole.diagnostics()?.w).toBeLessThan(1);
    expect(whole.diagnostics()?.w).toBeGreaterThan(0);
    whole.train(xor, { iterations: 15, errorThresh: 1e-6 });

    const resumed = new A2SNeuralNetwork().fromJSON(weights);
    resumed.loadCheckpoint(state);
    expect(resumed.a2s).toEqual(whole.a2s);
    resumed.train(xor, { iterations: 15, errorThresh: 1e-6 });
    expect(resumed.toJSON()).toEqual(whole.toJSON());

    // Without the state (fresh moments, step count 0) the run differs: the test can fail.
    const restarted = new A2SNeuralNetwork().fromJSON(weights);
    restarted.train(xor, { iterations: 15, errorThresh: 1e-6 });
    expect(restarted.toJSON()).not.toEqual(whole.toJSON());
  });

  test("the checkpoint is core's format, one tensor per layer matrix and bias vector", () => {
    const net = fresh(a2s);
    net.train(xor, { iterations: 3 });
    const checkpoint = decodeCheckpoint(net.saveCheckpoint());
    expect(checkpoint.algorithm).toBe("A2S");
    expect(checkpoint.t).toBe(12);
    expect(checkpoint.options).toMatchObject(a2s);
    expect(Object.keys(checkpoint.tensors)).toEqual(["weights.1", "biases.1", "weights.2", "biases.2"]);
    expect(checkpoint.tensors["weights.1"]?.shape).toEqual([4, 2]);
    expect(checkpoint.tensors["biases.2"]?.shape).toEqual([1]);
    expect(checkpoint.tensors["weights.1"]?.slots["m"]).toBeInstanceOf(Float32Array);
  });

  test("a checkpoint of other layers, damaged bytes or another algorithm is refused, nothing changed", () => {
    const net = fresh(a2s);
    net.train(xor, { iterations: 3 });
    const state = net.saveCheckpoint();
    const other = fresh(a2s, brainJSON([2, 5, 1], "sigmoid"));
    other.train(xor, { iterations: 1 });
    expect(() => net.loadCheckpoint(other.saveCheckpoint())).toThrow(CheckpointError);
    const damaged = state.slice();
    damaged[damaged.length - 9] = (damaged[damaged.length - 9] as number) ^ 1;
    expect(() => net.loadCheckpoint(damaged)).toThrow(expect.objectContaining({ problem: "checksum" }));
    expect(net.saveCheckpoint()).toEqual(state);
  });
});

describe("applyGradients", () => {
  const net = () => fresh({}, brainJSON([2, 3, 1], "sigmoid"));
  const grads = () => ({
    "weights.1": new Float32Array(6).fill(0.1),
    "biases.1": new Float32Array(3).fill(0.1),
    "weights.2": new Float32Array(3).fill(0.1),
    "biases.2": new Float32Array(1).fill(0.1),
  });

  test("takes one A2S step: the first is lrAdam against the gradient's sign", () => {
    const n = net();
    const before = n.toJSON();
    n.applyGradients(grads());
    const after = n.toJSON();
    const b0 = (before.layers[1] as Record<string, { bias: number }>)["0"]?.bias as number;
    const b1 = (after.layers[1] as Record<string, { bias: number }>)["0"]?.bias as number;
    // m_hat / sqrt(v_hat) is exactly 1 on the first step; eps (1e-8) and float32 rounding of a bias of order 1 (6e-8) remain.
    expect(b1 - b0).toBeCloseTo(-A2S_DEFAULTS.lrAdam, 6);
  });

  test.each([
    ["a missing tensor", (g: Record<string, Float32Array>) => delete g["biases.2"], TensorMismatchError],
    [
      "an unknown tensor",
      (g: Record<string, Float32Array>) => (g["weights.3"] = new Float32Array(1)),
      TensorMismatchError,
    ],
    [
      "a wrong length",
      (g: Record<string, Float32Array>) => (g["weights.1"] = new Float32Array(5)),
      TensorMismatchError,
    ],
    [
      "a NaN",
      (g: Record<string, Float32Array>) => ((g["weights.2"] as Float32Array)[1] = Number.NaN),
      NonFiniteGradientError,
    ],
  ])("%s: a typed error, nothing changed", (_, spoil, type) => {
    const n = net();
    n.applyGradients(grads());
    const json = n.toJSON();
    const state = n.saveCheckpoint();
    const g = grads();
    spoil(g);
    expect(() => n.applyGradients(g)).toThrow(type);
    expect(n.toJSON()).toEqual(json);
    expect(n.saveCheckpoint()).toEqual(state);
  });
});
