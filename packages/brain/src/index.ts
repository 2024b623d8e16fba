/**
 * `@a2s/core`'s optimizers for brain.js 1.6: {@link A2SNeuralNetwork} is a
 * `brain.NeuralNetwork` whose weights and biases are updated by A2S, or by any other
 * algorithm given as its `optimizer`. Re-exports `@a2s/core`.
 */
export * from "@a2s/core";
export {
  A2SNeuralNetwork,
  A2SNeuralNetwork as A2S,
  type A2SNeuralNetworkOptions,
} from "./network.js";
export type { A2SNeuralNetworkJSON, OptimizerJSON } from "./network-json.js";
export { TrainingDataError, type TrainingDataProblem } from "./training-data.js";
