import type { BrainInternals } from "./brain-internals.js";

/** One of a network's optimized tensors, sharing memory with brain's own arrays. */
export interface LayerTensor {
  /** `weights.<layer>` or `biases.<layer>`, layers counted from 1 (0 is the input). */
  name: string;
  /** `[nodes, inputs]` for weights (row-major: one row per node), `[nodes]` for biases. */
  shape: number[];
  data: Float32Array;
}

/**
 * The network's weights and biases as tensors, in the order weights.1, biases.1,
 * weights.2, ... Each layer's per-node weight arrays are copied into one row-major
 * Float32Array and then replaced by views of its rows, so brain's loops and the optimizer
 * read and write the same memory without copies on either side. The layers must be
 * built (brain's `initialize`, or a `fromJSON` whose JSON was checked).
 */
export function layerTensors(net: BrainInternals): LayerTensor[] {
  const sizes = net.sizes as number[];
  const tensors: LayerTensor[] = [];
  for (let layer = 1; layer <= net.outputLayer; layer++) {
    const nodes = sizes[layer] as number;
    const inputs = sizes[layer - 1] as number;
    const rows = net.weights[layer] as Float32Array[];
    const matrix = new Float32Array(nodes * inputs);
    for (let node = 0; node < nodes; node++) {
      matrix.set(rows[node] as ArrayLike<number>, node * inputs);
      rows[node] = matrix.subarray(node * inputs, (node + 1) * inputs);
    }
    tensors.push({ name: `weights.${layer}`, shape: [nodes, inputs], data: matrix });
    tensors.push({ name: `biases.${layer}`, shape: [nodes], data: net.biases[layer] as Float32Array });
  }
  return tensors;
}

/**
 * Writes the gradient of brain's per-pattern loss into `grads` (in {@link layerTensors}
 * order). brain's deltas are the NEGATIVE loss derivatives (brain adds
 * `learningRate * delta * input`), so the gradient is `-delta * input` for a weight
 * and `-delta` for a bias.
 */
export function writeGradients(net: BrainInternals, grads: readonly Float32Array[]): void {
  const sizes = net.sizes as number[];
  for (let layer = 1; layer <= net.outputLayer; layer++) {
    const nodes = sizes[layer] as number;
    const incoming = net.outputs[layer - 1] as ArrayLike<number>;
    const inputs = incoming.length;
    const deltas = net.deltas[layer] as Float32Array;
    const gw = grads[2 * (layer - 1)] as Float32Array;
    const gb = grads[2 * (layer - 1) + 1] as Float32Array;
    for (let node = 0; node < nodes; node++) {
      const delta = deltas[node] as number;
      const row = node * inputs;
      for (let k = 0; k < inputs; k++) gw[row + k] = -delta * (incoming[k] as number);
      gb[node] = -delta;
    }
  }
}
