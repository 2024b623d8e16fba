/**
 * brain's network and per-pattern loss recomputed in float64 with plain loops, from
 * the weights in its JSON: the independent reference the gradient tests compare with.
 */
import type { A2SNeuralNetworkJSON } from "../src/index.js";

export interface ReferenceLayer {
  /** `weights[node][input]`. */
  weights: number[][];
  biases: number[];
}

/** The layers of a network's JSON (array-form input and output) as float64 arrays. */
export function referenceLayers(json: A2SNeuralNetworkJSON): ReferenceLayer[] {
  return (json.layers as Record<string, { bias: number; weights: Record<string, number> }>[])
    .slice(1)
    .map((layer) => {
      const nodes = Object.values(layer);
      return {
        weights: nodes.map((node) => Object.values(node.weights)),
        biases: nodes.map((node) => node.bias),
      };
    });
}

const activations: Record<string, (z: number) => number> = {
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  relu: (z) => (z < 0 ? 0 : z),
  tanh: (z) => Math.tanh(z),
};

/** brain's per-pattern loss: half the summed squared error of the output layer. */
export function referenceLoss(
  layers: ReferenceLayer[],
  activation: string,
  input: number[],
  target: number[],
) {
  const f = activations[activation] as (z: number) => number;
  let x = input;
  for (const { weights, biases } of layers) {
    x = weights.map((row, node) =>
      f(row.reduce((sum, w, k) => sum + w * (x[k] as number), biases[node] as number)),
    );
  }
  return 0.5 * x.reduce((sum, y, i) => sum + ((target[i] as number) - y) ** 2, 0);
}

/** Central finite differences of {@link referenceLoss}: `{ weights: [layer][node][input], biases: [layer][node] }`. */
export function referenceGradient(
  layers: ReferenceLayer[],
  activation: string,
  input: number[],
  target: number[],
) {
  // h balances truncation (h^2 * third derivative) against float64 cancellation (1e-16 / h).
  const h = 1e-6;
  const derivative = (get: () => number, set: (x: number) => void) => {
    const x = get();
    set(x + h);
    const up = referenceLoss(layers, activation, input, target);
    set(x - h);
    const down = referenceLoss(layers, activation, input, target);
    set(x);
    return (up - down) / (2 * h);
  };
  return {
    weights: layers.map((layer) =>
      layer.weights.map((row) =>
        row.map((_, k) =>
          derivative(
            () => row[k] as number,
            (x) => {
              row[k] = x;
            },
          ),
        ),
      ),
    ),
    biases: layers.map((layer) =>
      layer.biases.map((_, node) =>
        derivative(
          () => layer.biases[node] as number,
          (x) => {
            layer.biases[node] = x;
          },
        ),
      ),
    ),
  };
}

/** A small seeded generator (mulberry32), so tests see the same weights every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The JSON a plain brain.js 1.6.1 `NeuralNetwork` writes, for layer `sizes`, with
 * float32-representable weights and biases drawn uniformly from [-scale, scale) by a
 * seeded generator (brain's own initialisation is scale 0.2, from Math.random).
 */
export function brainJSON(sizes: number[], activation: string, seed = 1, scale = 1): A2SNeuralNetworkJSON {
  const random = seeded(seed);
  const layers: object[] = [
    Object.fromEntries(Array.from({ length: sizes[0] as number }, (_, i) => [i, {}])),
  ];
  for (let l = 1; l < sizes.length; l++) {
    const inputs = sizes[l - 1] as number;
    const nodes = Array.from({ length: sizes[l] as number }, (_, node) => [
      node,
      {
        bias: Math.fround(scale * (2 * random() - 1)),
        weights: Object.fromEntries(
          Array.from({ length: inputs }, (_, k) => [k, Math.fround(scale * (2 * random() - 1))]),
        ),
      },
    ]);
    layers.push(Object.fromEntries(nodes));
  }
  return {
    sizes,
    layers,
    outputLookup: false,
    inputLookup: false,
    activation: activation as A2SNeuralNetworkJSON["activation"],
    trainOpts: {
      iterations: 20000,
      errorThresh: 0.005,
      learningRate: 0.3,
      momentum: 0.1,
      log: false,
      logPeriod: 10,
    },
  };
}
