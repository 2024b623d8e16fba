import { describe, expect, test } from "vitest";
import { A2SNeuralNetwork, type A2SNeuralNetworkJSON, TensorMismatchError } from "../src/index.js";
import { fresh, snapshot, thrown, xor } from "./helpers.js";
import { brainJSON } from "./reference-mlp.js";

type Layers = Record<string, { bias: unknown; weights: Record<string, unknown> }>[];

/** The JSON of a trained 2-4-1 network, through text, with one change made to it. */
function spoiled(change: (json: A2SNeuralNetworkJSON & { layers: Layers }) => void): A2SNeuralNetworkJSON {
  const net = fresh();
  net.train(xor, { iterations: 2 });
  const json = JSON.parse(JSON.stringify(net.toJSON()));
  change(json);
  return json;
}

const node = (json: { layers: Layers }, layer: number, name: string) =>
  (json.layers[layer] as Layers[number])[name] as Layers[number][string];

const cases: [string, (json: A2SNeuralNetworkJSON & { layers: Layers }) => void, object][] = [
  [
    "a NaN bias (JSON.stringify writes null)",
    (json) => {
      node(json, 1, "2").bias = Number.NaN;
      Object.assign(json, JSON.parse(JSON.stringify(json)));
    },
    { tensor: "biases.1", kind: "type", actual: null },
  ],
  ["a missing bias", (json) => delete node(json, 2, "0").bias, { tensor: "biases.2", kind: "type" }],
  [
    "a weight written as a string",
    (json) => {
      node(json, 1, "0").weights["1"] = "0.5";
    },
    { tensor: "weights.1", kind: "type", actual: "0.5" },
  ],
  [
    "a null weight",
    (json) => {
      node(json, 2, "0").weights["3"] = null;
    },
    { tensor: "weights.2", kind: "type", actual: null },
  ],
  [
    "a node with one weight too few",
    (json) => delete node(json, 2, "0").weights["3"],
    { tensor: "weights.2", kind: "length", expected: 4, actual: 3 },
  ],
  [
    "a layer with a node more than its size",
    (json) => {
      (json.layers[1] as Layers[number])["4"] = { ...node(json, 1, "0") };
    },
    { tensor: "biases.1", kind: "length", actual: 5 },
  ],
  [
    "sizes that disagree with the layers",
    (json) => {
      json.sizes = [2, 4, 1, 1];
    },
    { tensor: "(all)", kind: "type" },
  ],
  ["no layers", (json) => delete (json as Partial<typeof json>).layers, { tensor: "(all)", kind: "type" }],
];

describe("fromJSON checks the layers before brain reads them", () => {
  test.each(cases)("%s: TensorMismatchError naming the tensor, nothing changed", (_, change, fields) => {
    const net = fresh({ lrAdam: 0.02 });
    net.train(xor, { iterations: 3 });
    const before = snapshot(net);
    const error = thrown(() => net.fromJSON(spoiled(change)));
    expect(error).toBeInstanceOf(TensorMismatchError);
    expect(error).toMatchObject(fields);
    expect((error as Error).message).toContain((fields as { tensor: string }).tensor);
    expect(snapshot(net)).toEqual(before);
  });

  test("what plain brain.js writes passes: array and hash forms, and a network of one weight layer", () => {
    for (const json of [brainJSON([3, 5, 4, 2], "relu"), brainJSON([1, 1], "tanh")]) {
      expect(new A2SNeuralNetwork().fromJSON(json).toJSON().layers).toEqual(json.layers);
    }
    const hash = new A2SNeuralNetwork({ hiddenLayers: [2] });
    hash.train([{ input: { a: 1, b: 0 }, output: { yes: 1 } }], { iterations: 2 });
    const copy = new A2SNeuralNetwork().fromJSON(JSON.parse(JSON.stringify(hash.toJSON())));
    expect(copy.run({ a: 1, b: 0 })).toEqual(hash.run({ a: 1, b: 0 }));
  });
});
