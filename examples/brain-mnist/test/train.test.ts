import { evaluateSchedule, type Schedule } from "@a2s/brain";
import { expect, test } from "vitest";
import { makeOptimizer, OPTIMIZERS, PER_PATTERN_RATES, trainMnist } from "../src/train.js";

test("one pass over 1,000 MNIST images with A2S beats chance", async () => {
  const result = await trainMnist({ patterns: 1000, passes: 1, testCount: 1000 });
  // One A2S step per pattern, all in the pure-Adam phase (switchIter 1500).
  expect(result.algorithm).toBe("A2S");
  expect(result.diagnostics?.t).toBe(1000);
  expect(result.diagnostics?.w).toBe(1);
  // Measured (seeded weights, brain's arithmetic is + and *, so reproducible): 0.082
  // untrained, 0.623 trained on the first 1,000 test images. The floor, 0.45, leaves
  // room for a change in summation order; a network that does not learn stays near
  // chance (0.1), and one whose ReLU units die (the seed's rates per pattern) ends near
  // 0.3 (@a2s/brain's README).
  expect(result.untrainedAccuracy).toBeLessThan(0.2);
  expect(result.testAccuracy).toBeGreaterThan(0.45);
}, 30_000);

test("--optimizer and --schedule pick each algorithm at its per-pattern rate, constant or cosine to 0", () => {
  const names = { a2s: "A2S", adam: "Adam", rmsprop: "RMSProp", "sgd-momentum": "SGDMomentum" };
  for (const name of OPTIMIZERS) {
    const constant = makeOptimizer(name, "constant", 100);
    const cosine = makeOptimizer(name, "cosine", 100);
    expect(constant.name).toBe(names[name]);
    expect(cosine.name).toBe(names[name]);
    const rate = name === "a2s" ? "lrAdam" : "learningRate";
    const expected = name === "a2s" ? PER_PATTERN_RATES.a2s.lrAdam : PER_PATTERN_RATES[name];
    expect(constant.options[rate]).toBe(expected);
    const schedule = cosine.options[rate] as Schedule;
    // optax's cosine decay at t = 1 of 100; 1e-12 relative leaves room for the formula's arrangement.
    const first = (expected * (1 + Math.cos(Math.PI / 100))) / 2;
    expect(Math.abs(evaluateSchedule(schedule, 1) - first) / first).toBeLessThan(1e-12);
    expect(evaluateSchedule(schedule, 100)).toBe(0);
  }
});
