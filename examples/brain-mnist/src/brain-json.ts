/** @a2s/mlp's seeded weights written as the JSON brain.js 1.6.1 loads, so runs are reproducible. */
import type { A2SNeuralNetworkJSON } from "@a2s/brain";
import { Mlp } from "@a2s/mlp";

const SIZES = [784, 128, 64, 10];

/**
 * brain draws its initial weights from Math.random, unseeded; this takes the seed's MLP
 * (He-normal weights, zero biases) instead. @a2s/mlp keeps `W` as [in, out] row-major,
 * brain keeps `weights[node][input]`.
 */
export function seededBrainJson(seed: number): A2SNeuralNetworkJSON {
  const { params } = new Mlp({ seed });
  const weightsAndBiases = [
    [params.W1, params.b1],
    [params.W2, params.b2],
    [params.W3, params.b3],
  ] as const;
  // The input layer has no weights: brain keeps one empty node per pixel.
  const layers: object[] = [Object.fromEntries(range(SIZES[0] as number).map((i) => [i, {}]))];
  for (const [l, [w, b]] of weightsAndBiases.entries()) {
    const inputs = SIZES[l] as number;
    const nodes = SIZES[l + 1] as number;
    layers.push(
      Object.fromEntries(
        range(nodes).map((node) => [
          node,
          {
            bias: b[node] as number,
            weights: Object.fromEntries(range(inputs).map((k) => [k, w[k * nodes + node] as number])),
          },
        ]),
      ),
    );
  }
  return {
    sizes: SIZES,
    layers,
    inputLookup: false,
    outputLookup: false,
    activation: "relu",
    trainOpts: {},
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
