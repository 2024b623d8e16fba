import { describe, expect, test } from "vitest";
import {
  A2SError,
  A2SNeuralNetwork,
  InvalidCallError,
  InvalidOptionError,
  TrainingDataError,
} from "../src/index.js";
import { snapshot } from "./helpers.js";
import { brainJSON } from "./reference-mlp.js";

const good = () => [
  { input: [0, 1, 0.5], output: [1, 0] },
  { input: [1, 0, 0.25], output: [0, 1] },
];

/** A network that has already taken steps, so that its optimizer state is not all zeros. */
function trained() {
  const net = new A2SNeuralNetwork().fromJSON(brainJSON([3, 4, 2], "sigmoid"));
  net.train(good(), { iterations: 3 });
  return net;
}

type Case = [string, unknown, string, TrainingDataError["problem"]];
const cases: Case[] = [
  ["an empty list", [], "data", "empty"],
  ["a pattern that is not an object", [...good(), 7], "data[2]", "shape"],
  ["a missing output", [{ input: [0, 1, 0] }], "data[0].output", "shape"],
  ["an input one value short", [...good(), { input: [0, 1], output: [1, 0] }], "data[2].input", "length"],
  ["an input one value long", [{ input: [0, 1, 0, 1], output: [1, 0] }], "data[0].input", "length"],
  [
    "an output of the wrong length",
    [...good(), { input: [0, 1, 0], output: [1] }],
    "data[2].output",
    "length",
  ],
  [
    "NaN in an input",
    [...good(), { input: [0, Number.NaN, 0], output: [1, 0] }],
    "data[2].input[1]",
    "non-finite",
  ],
  [
    "Infinity in an output",
    [{ input: [0, 1, 0], output: [1, Number.POSITIVE_INFINITY] }],
    "data[0].output[1]",
    "non-finite",
  ],
  ["a string among the numbers", [{ input: [0, "1", 0], output: [1, 0] }], "data[0].input[1]", "non-finite"],
  ["an undefined value", [{ input: [0, undefined, 0], output: [1, 0] }], "data[0].input[1]", "non-finite"],
  [
    "NaN in a typed array",
    [{ input: Float32Array.of(0, 1, Number.NaN), output: [1, 0] }],
    "data[0].input[2]",
    "non-finite",
  ],
  ["a hash among arrays", [...good(), { input: { a: 1 }, output: [1, 0] }], "data[2].input", "shape"],
];

describe("bad training data", () => {
  test.each(cases)("%s: TrainingDataError naming %s, nothing changed", (_, data, path, problem) => {
    const net = trained();
    const before = snapshot(net);
    const error = (() => {
      try {
        net.train(data as never, { iterations: 1 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error).toBeInstanceOf(A2SError);
    expect(error).toMatchObject({ path, problem, code: "INVALID_TRAINING_DATA" });
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain("nothing was trained");
    expect(snapshot(net)).toEqual(before);
  });

  test("the length a fresh network expects is the first pattern's", () => {
    const net = new A2SNeuralNetwork();
    expect(() =>
      net.train([
        { input: [0, 1], output: [1] },
        { input: [0, 1, 1], output: [1] },
      ]),
    ).toThrow(/data\[1\]\.input has 3 values, expected 2/);
    // Not even the layers were built from the bad data.
    expect(() => net.saveCheckpoint()).toThrow(InvalidCallError);
  });

  test("NaN in a hash-form (lookup) pattern is refused too", () => {
    const net = new A2SNeuralNetwork();
    expect(() => net.train([{ input: { a: 1, b: Number.NaN }, output: { yes: 1 } }])).toThrow(
      expect.objectContaining({ path: "data[0].input.b", problem: "non-finite" }),
    );
  });

  test("trainAsync rejects with the same error, before any change", async () => {
    const net = trained();
    const before = snapshot(net);
    await expect(net.trainAsync([{ input: [0, 1], output: [1, 0] }])).rejects.toBeInstanceOf(
      TrainingDataError,
    );
    expect(snapshot(net)).toEqual(before);
  });

  test("brain's adam praxis is refused: the network's optimizer does the updates", () => {
    expect(() => new A2SNeuralNetwork({ praxis: "adam" })).toThrow(InvalidOptionError);
    const net = trained();
    const before = snapshot(net);
    expect(() => net.train(good(), { praxis: "adam" })).toThrow(
      expect.objectContaining({ option: "praxis", value: "adam" }),
    );
    expect(snapshot(net)).toEqual(before);
  });

  test("brain's own training options out of its range are InvalidOptionErrors, before anything changes", () => {
    // brain alone throws a plain Error, after it has assigned them.
    expect(() => new A2SNeuralNetwork({ iterations: -1 })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "iterations", value: -1 }),
    );
    const net = trained();
    const before = { ...snapshot(net), trainOpts: JSON.stringify(net.toJSON().trainOpts) };
    const after = () => ({ ...snapshot(net), trainOpts: JSON.stringify(net.toJSON().trainOpts) });
    expect(() => net.train(good(), { iterations: 1, learningRate: 5 })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "learningRate", value: 5 }),
    );
    expect(after()).toEqual(before);
    const json = net.toJSON();
    expect(() => net.fromJSON({ ...json, trainOpts: { ...json.trainOpts, errorThresh: 2 } })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "trainOpts.errorThresh", value: 2 }),
    );
    expect(after()).toEqual(before);
  });

  test("bad A2S options are refused at construction and in (pre-0.2) JSON", () => {
    expect(() => new A2SNeuralNetwork({ a2s: { lrAdam: -1 } })).toThrow(
      expect.objectContaining({ option: "lrAdam", value: -1 }),
    );
    expect(() => new A2SNeuralNetwork({ a2s: { lr: 0.1 } as never })).toThrow(InvalidOptionError);
    const net = trained();
    const before = snapshot(net);
    expect(() => net.fromJSON({ ...brainJSON([3, 5, 2], "relu"), a2s: { beta1: 1 } })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "beta1" }),
    );
    expect(snapshot(net)).toEqual(before);
  });
});
