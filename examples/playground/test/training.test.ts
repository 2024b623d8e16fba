import { createHash } from "node:crypto";
import { PARAM_NAMES } from "@a2s/mlp";
import { loadMnist, subset } from "@a2s/mnist";
import { describe, expect, it } from "vitest";
import { defaultOptions } from "../src/optimizers.js";
import { typedStack } from "../src/stacks/typed.js";
import { checkRunRequest, type RunRequest, train } from "../src/training.js";

const request: RunRequest = {
  stack: "typed",
  optimizer: "a2s",
  options: { ...defaultOptions("a2s"), switchIter: 5, blendIters: 10 },
  steps: 25,
  seed: 3,
  evalEvery: 10,
};

describe("the training loop", () => {
  it("reports every step, evaluates on schedule and summarises the run", async () => {
    const mnist = await loadMnist();
    // 640 images: 10 batches, so 25 steps cross two reshuffles.
    const data = { train: subset(mnist.train, 0, 640), test: subset(mnist.test, 0, 200) };
    const trainer = await typedStack.create(request);
    const steps: number[] = [];
    const evaluations: number[] = [];
    const summary = await train(trainer, data, request, {
      onStep: (step) => steps.push(step),
      onAccuracy: (step) => evaluations.push(step),
    });
    expect(steps).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(evaluations).toEqual([10, 20, 25]);
    expect(summary).toMatchObject({ stack: "typed", optimizer: "a2s", steps: 25, backend: "typed", seed: 3 });
    expect(summary.losses).toHaveLength(25);
    expect([summary.trainImages, summary.testImages]).toEqual([640, 200]);
    // Step 25 is past switchIter + blendIters: pure SGD.
    expect(summary.w).toBe(0);
    const hash = createHash("sha256");
    const params = await trainer.parameters();
    for (const name of PARAM_NAMES) hash.update(new Uint8Array(params[name].buffer));
    expect(summary.parametersSha256).toBe(hash.digest("hex"));
  }, 30_000);

  it("refuses steps, evalEvery and seed that are not whole numbers in range", () => {
    expect(() => checkRunRequest(request)).not.toThrow();
    for (const [name, value] of [
      ["steps", 0],
      ["steps", 1.5],
      ["steps", Number.NaN],
      ["evalEvery", 0],
      ["seed", -1],
      ["seed", 2 ** 32],
    ] as const) {
      expect(() => checkRunRequest({ ...request, [name]: value }), `${name} ${value}`).toThrow(
        new RegExp(`^${name} must be a whole number`),
      );
      expect(() => checkRunRequest({ ...request, [name]: value })).toThrow(RangeError);
    }
  });
});
