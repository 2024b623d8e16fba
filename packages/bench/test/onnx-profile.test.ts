/**
 * The onnxruntime profile runs the real fused training step with onnxruntime's profiler
 * on a few MNIST batches; its section reports what it measured, or why nothing.
 */
import { loadMnist } from "@a2s/mnist";
import { describe, expect, it } from "vitest";
import { profileOnnxTraining } from "../src/onnx-profile.js";
import { onnxProfileLines } from "../src/onnx-profile-report.js";
import type { BenchResults, OnnxProfile } from "../src/results.js";

const mnist = await loadMnist();

describe("profileOnnxTraining", () => {
  it("splits the step's kernels between the training graph and the optimizer, and rates each matrix product", async () => {
    const profile = await profileOnnxTraining(mnist, 6);
    // Six steps after the one that builds the session, whose run is left out.
    expect(profile.steps).toBe(6);
    const parts = new Set(profile.ops.map((o) => o.part));
    expect(parts).toEqual(new Set(["forward and backward", "optimizer step"]));
    // The first layer's forward product and its weight gradient are the training graph's.
    const products = profile.ops.filter((o) => o.shape !== undefined);
    expect(products.every((o) => o.part === "forward and backward")).toBe(true);
    expect(products.map((o) => o.shape)).toEqual(
      expect.arrayContaining([
        [64, 784, 128],
        [784, 64, 128],
      ]),
    );
    for (const o of products) expect(o.gflops).toBeGreaterThan(0);
    // A2S's moments are optimizer nodes; the kernels fit in the run, the run in the step.
    expect(profile.ops.find((o) => o.part === "optimizer step" && o.op === "Sqrt")).toBeDefined();
    const kernels = profile.ops.reduce((sum, o) => sum + o.ms, 0);
    expect(kernels).toBeCloseTo(profile.kernelMs, 9);
    expect(profile.kernelMs).toBeLessThanOrEqual(profile.runMs);
    expect(profile.runMs).toBeLessThanOrEqual(profile.stepMs);
    expect(profile.gemmAlone.shape).toEqual([64, 784, 128]);
    expect(profile.gemmAlone.gflops).toBeGreaterThan(0);
  }, 120_000);
});

describe("onnxProfileLines", () => {
  const profile: OnnxProfile = {
    steps: 99,
    stepMs: 2,
    runMs: 1.5,
    kernelMs: 1,
    ops: [
      { op: "Gemm", part: "forward and backward", nodes: 1, ms: 0.2, shape: [64, 784, 128], gflops: 64.2 },
      { op: "Mul", part: "optimizer step", nodes: 10, ms: 0.8 },
    ],
    gemmAlone: { shape: [64, 784, 128], ms: 0.16, gflops: 80.3 },
  };
  const base = { training: [], matmul: [] } as unknown as BenchResults;

  it("gives each operator's time per step, its share of the kernels and a product's rate against Gemm alone", () => {
    const lines = onnxProfileLines({ ...base, onnxProfile: profile });
    expect(lines).toContain(
      "| forward and backward | Gemm (64 x 784 by 784 x 128) | 1 | 0.200 | 20.0% | 64.2 | 80% |",
    );
    expect(lines).toContain("| optimizer step | Mul | 10 | 0.800 | 80.0% |  |  |");
    expect(lines).toContain("| optimizer step | all | 10 | 0.800 | 80.0% | | |");
    expect(lines).toContain("| onnxruntime between kernels | | | 0.500 | | | |");
    expect(lines).toContain("| host, outside the run | | | 0.500 | | | |");
    expect(lines[0]).toContain("over 99 MNIST batches of 64");
    expect(lines[0]).toContain("0.160 ms, 80.3 GFLOP/s");
  });

  it("says why there is no profile", () => {
    expect(
      onnxProfileLines({ ...base, onnxProfile: null, onnxProfileNote: "onnxruntime-node missing" }),
    ).toEqual(["Not measured: onnxruntime-node missing."]);
  });
});
