/**
 * brain.js 1.6.1 ships CommonJS whose `module.exports` is one object, and typings that
 * declare only the public surface. This module loads it the one way Node's ESM loader
 * allows (the default import) and names the internals A2S hooks into.
 */
import brain from "brain.js";

/** brain.js's `NeuralNetwork` constructor, as shipped. */
export const BrainNeuralNetwork = brain.NeuralNetwork;

/**
 * The fields and methods of a brain.js 1.6.1 `NeuralNetwork` that its typings leave out.
 * Per layer `l >= 1`: `weights[l][node]` is a Float32Array over the previous layer's
 * nodes and `biases[l]` a Float32Array over the layer's nodes. After `calculateDeltas`,
 * `deltas[l][node]` is minus the derivative of brain's per-pattern loss
 * (half the summed squared error) with respect to the node's pre-activation.
 */
export interface BrainInternals {
  sizes: number[] | null;
  outputLayer: number;
  weights: Float32Array[][];
  biases: Float32Array[];
  outputs: Float32Array[];
  deltas: Float32Array[];
  inputLookup: Record<string, number> | boolean | null;
  outputLookup: Record<string, number> | boolean | null;
  trainOpts: { praxis?: string | null; [name: string]: unknown };
}
