/**
 * A2S (AdaFusion) for brain.js 1.6: {@link A2SNeuralNetwork} is a `brain.NeuralNetwork`
 * whose weights and biases are updated by A2S. Re-exports `@a2s/core`.
 */
export * from "@a2s/core";
export {
  A2SNeuralNetwork,
  A2SNeuralNetwork as A2S,
  type A2SNeuralNetworkJSON,
  type A2SNeuralNetworkOptions,
} from "./network.js";
export { TrainingDataError, type TrainingDataProblem } from "./training-data.js";
