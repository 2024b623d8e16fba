import brain from "brain.js";
import { describe, expect, test } from "vitest";
import {
  A2S,
  A2SError,
  A2SNeuralNetwork,
  InvalidCallError,
  NonFiniteGradientError,
  NonFiniteResultError,
  TensorMismatchError,
} from "../src/index.js";
import { fresh, snapshot, thrown, xor } from "./helpers.js";
import { brainJSON } from "./reference-mlp.js";

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
    // One optimizer step per pattern per iteration.
    expect(net.t).toBe(4 * status.iterations);
    expect(net.diagnostics?.t).toBe(net.t);
  });

  test("trainAsync takes the same steps as train", async () => {
    const sync = fresh();
    const async = fresh();
    const a = sync.train(xor, { iterations: 50, errorThresh: 0.0001 });
    const b = await async.trainAsync(xor, { iterations: 50, errorThresh: 0.0001 });
    expect(b).toEqual(a);
    expect(async.toJSON()).toEqual(sync.toJSON());
  });

  test("a plain brain.js network's JSON loads, runs alike, and trains on with the network's optimizer", () => {
    const plain = new brain.NeuralNetwork({ hiddenLayers: [3] });
    plain.train(xor, { iterations: 30, praxis: "adam" });
    const plainJSON = plain.toJSON();
    expect(plainJSON.trainOpts.praxis).toBe("adam");
    const net = new A2SNeuralNetwork({ a2s: { lrAdam: 0.01 } }).fromJSON(plainJSON);
    for (const { input } of xor) expect(net.run(input)).toEqual(plain.run(input));
    expect(net.options.lrAdam).toBe(0.01);
    // brain's adam praxis is dropped from the copy brain reads, not from the caller's JSON.
    expect(plainJSON.trainOpts.praxis).toBe("adam");
    net.train(xor, { iterations: 2 });
    expect(net.t).toBe(8);
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
    const before = snapshot(net);
    expect(() => net.train(overflowing, { iterations: 1 })).toThrow(NonFiniteGradientError);
    expect(snapshot(net)).toEqual(before);
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

  test("rebuilding the layers (training a fresh network) starts the optimizer over", () => {
    const net = new A2SNeuralNetwork({ hiddenLayers: [3] });
    expect(net.t).toBe(0);
    expect(net.diagnostics).toBeUndefined();
    net.train(xor, { iterations: 2 });
    expect(net.t).toBe(8);
    net.fromJSON(net.toJSON());
    expect(net.t).toBe(0);
    expect(net.diagnostics).toBeUndefined();
  });
});

describe("a network without layers (never trained nor loaded)", () => {
  const grads = { "weights.1": new Float32Array(1) };
  test.each([
    ["saveCheckpoint", (net: A2SNeuralNetwork) => net.saveCheckpoint()],
    ["loadCheckpoint", (net: A2SNeuralNetwork) => net.loadCheckpoint(fresh().saveCheckpoint())],
    ["applyGradients", (net: A2SNeuralNetwork) => net.applyGradients(grads)],
    ["toJSON", (net: A2SNeuralNetwork) => net.toJSON()],
  ] as const)("%s throws InvalidCallError naming it, and the network still trains", (operation, call) => {
    const net = new A2SNeuralNetwork({ hiddenLayers: [3] });
    const error = thrown(() => call(net));
    expect(error).toBeInstanceOf(InvalidCallError);
    expect(error).toBeInstanceOf(A2SError);
    expect(error).toMatchObject({ operation, code: "INVALID_CALL" });
    expect((error as Error).message).toContain("no layers yet");
    net.train(xor, { iterations: 1 });
    expect(net.t).toBe(4);
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

  test("takes one step: A2S's first is lrAdam against the gradient's sign", () => {
    const n = net();
    const before = n.toJSON();
    n.applyGradients(grads());
    const after = n.toJSON();
    const b0 = (before.layers[1] as Record<string, { bias: number }>)["0"]?.bias as number;
    const b1 = (after.layers[1] as Record<string, { bias: number }>)["0"]?.bias as number;
    // m_hat / sqrt(v_hat) is exactly 1 on the first step; eps (1e-8) and float32 rounding of a bias of order 1 (6e-8) remain.
    expect(b1 - b0).toBeCloseTo(-(n.options.lrAdam as number), 6);
    expect(n.t).toBe(1);
  });

  test.each([
    [
      "a missing tensor",
      (g: Record<string, Float32Array>) => delete g["biases.2"],
      TensorMismatchError,
      "biases.2",
    ],
    [
      "an unknown tensor",
      (g: Record<string, Float32Array>) => (g["weights.3"] = new Float32Array(1)),
      TensorMismatchError,
      "weights.3",
    ],
    [
      "a wrong length",
      (g: Record<string, Float32Array>) => (g["weights.1"] = new Float32Array(5)),
      TensorMismatchError,
      "weights.1",
    ],
    [
      "a Float64Array",
      (g: Record<string, Float32Array>) => (g["biases.1"] = new Float64Array(3) as never),
      TensorMismatchError,
      "biases.1",
    ],
    [
      "a NaN",
      (g: Record<string, Float32Array>) => ((g["weights.2"] as Float32Array)[1] = Number.NaN),
      NonFiniteGradientError,
      "weights.2",
    ],
    [
      "a finite gradient whose square overflows float32",
      (g: Record<string, Float32Array>) => ((g["weights.2"] as Float32Array)[2] = 1e38),
      NonFiniteResultError,
      "weights.2",
    ],
  ])("%s: a typed error naming the tensor, nothing changed", (_, spoil, type, tensor) => {
    const n = net();
    n.applyGradients(grads());
    const before = snapshot(n);
    const g = grads();
    spoil(g);
    const error = thrown(() => n.applyGradients(g));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ tensor });
    expect(snapshot(n)).toEqual(before);
  });
});
