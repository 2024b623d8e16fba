import { describe, expect, test } from "vitest";
import { A2SNeuralNetwork } from "../src/index.js";
import { brainJSON, referenceGradient, referenceLayers } from "./reference-mlp.js";

// First step in the pure-SGD phase (switchIter 0, blendIters 1 make w(1) = 0): the step
// is exactly lrSgd * gradient, so the weights' change reveals the gradient A2S was given.
const LR_SGD = 0.5;
const PURE_SGD = { switchIter: 0, blendIters: 1, lrSgd: LR_SGD };

const input = [0.3, 0.7, 0.9];
const target = [0.2, 0.8];

// Seeds whose weights leave most relu units active (seed 1 kills the relu output layer).
describe.each([
  ["sigmoid", 1],
  ["tanh", 1],
  ["relu", 28],
] as const)("the gradient A2S receives, %s", (activation, seed) => {
  test("is the gradient of brain's per-pattern loss (half the squared error)", () => {
    const net = new A2SNeuralNetwork({ a2s: PURE_SGD }).fromJSON(brainJSON([3, 4, 2], activation, seed));
    const before = referenceLayers(net.toJSON());
    const expected = referenceGradient(referenceLayers(net.toJSON()), activation, input, target);
    net.train([{ input, output: target }], { iterations: 1, errorThresh: 0.001 });
    const after = referenceLayers(net.toJSON());
    expect(net.t).toBe(1);

    let checked = 0;
    before.forEach((layer, l) => {
      layer.weights.forEach((row, node) => {
        row.forEach((w, k) => {
          const seen = (w - (after[l]?.weights[node]?.[k] as number)) / LR_SGD;
          // Weights are float32 (an ulp of a weight of 0.5 is 6e-8, /LR_SGD 1.2e-7) and
          // brain's forward pass runs in float32 (relative error ~1e-7 per layer).
          expect(seen).toBeCloseTo(expected.weights[l]?.[node]?.[k] as number, 5);
          checked++;
        });
      });
      layer.biases.forEach((b, node) => {
        const seen = (b - (after[l]?.biases[node] as number)) / LR_SGD;
        expect(seen).toBeCloseTo(expected.biases[l]?.[node] as number, 5);
        checked++;
      });
    });
    expect(checked).toBe(3 * 4 + 4 + 4 * 2 + 2);
    // Dead units would give zero gradients that any sign or scale matches: make sure
    // every layer has a gradient far above the 5e-6 tolerance.
    for (const l of [0, 1]) {
      const largest = Math.max(...(expected.weights[l]?.flat() ?? []).map(Math.abs));
      expect(largest).toBeGreaterThan(1e-3);
    }
  });
});
