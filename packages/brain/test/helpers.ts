/** What the network tests share: XOR, networks over fixed weights, and ways to read a network whole. */
import type { Algorithm } from "@a2s/core";
import { A2SNeuralNetwork, type A2SOptions } from "../src/index.js";
import { brainJSON, referenceLayers } from "./reference-mlp.js";

export const xor = [
  { input: [0, 0], output: [0] },
  { input: [0, 1], output: [1] },
  { input: [1, 0], output: [1] },
  { input: [1, 1], output: [0] },
];

/** A network over fixed weights (2-4-1 sigmoid unless told), so that two of them start identical. */
export function fresh(
  optimizer: Partial<A2SOptions> | Algorithm = {},
  json = brainJSON([2, 4, 1], "sigmoid"),
): A2SNeuralNetwork {
  const options = "transform" in optimizer ? { optimizer: optimizer as Algorithm } : { a2s: optimizer };
  return new A2SNeuralNetwork(options).fromJSON(json);
}

/** The network's weights and biases as the optimizer sees them: float32 tensors by name. */
export function layerRecord(net: A2SNeuralNetwork): Record<string, Float32Array> {
  const record: Record<string, Float32Array> = {};
  referenceLayers(net.toJSON()).forEach((layer, i) => {
    record[`weights.${i + 1}`] = Float32Array.from(layer.weights.flat());
    record[`biases.${i + 1}`] = Float32Array.from(layer.biases);
  });
  return record;
}

/**
 * Weights, optimizer options and state, as text and bytes: equal snapshots mean nothing
 * changed (brain's own training options, which each `train` call sets, are left out).
 */
export function snapshot(net: A2SNeuralNetwork) {
  const { layers, optimizer } = net.toJSON();
  return { json: JSON.stringify({ layers, optimizer }), state: net.saveCheckpoint(), t: net.t };
}

/** The error `action` throws, for checks of its class and fields. */
export function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, none was thrown");
}
