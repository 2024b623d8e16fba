import { describe, expect, it } from "vitest";
import { goalLines, ratio, renderReport } from "../src/report.js";
import type { BenchResults, SeedOutput } from "../src/results.js";
import { loadUnavailable } from "../src/unavailable.js";

const seed: SeedOutput = {
  python: "3.11",
  numpy: "2.0",
  dtype: "float64",
  steps: [
    {
      size: 109_386,
      tensors: 6,
      A2S: { seconds: 0.0073, samples: 10, stateBytesPerParam: 112 },
      Adam: { seconds: 0.001, samples: 10, stateBytesPerParam: 16 },
    },
  ],
  epoch: {
    fullSteps: 938,
    batch: 64,
    A2S: { seconds: 0.7, cpuSeconds: 0.6, steps: 100, testAccuracy: 0.9 },
    Adam: { seconds: 0.14, cpuSeconds: 0.12, steps: 100, testAccuracy: 0.9 },
  },
};

function results(): BenchResults {
  const missing = loadUnavailable(["tfjs cpu"], "Cannot find module '@a2s/tfjs'", [109_386]);
  return {
    startedAt: "2026-01-01T00:00:00.000Z",
    quick: false,
    machine: {
      node: "v20",
      platform: "linux x64",
      cpus: 2,
      cpuModel: "cpu",
      loadavgStart: [1, 2, 3],
      loadavgEnd: [1.5, 2, 3],
    },
    seconds: 10,
    steps: [
      { adapter: "typed fused", size: 109_386, tensors: 6, a2sMs: 1.2, adamMs: 1, samples: 40 },
      { adapter: "typed fused", size: 10_000_000, tensors: 1, a2sMs: 100, adamMs: 90, samples: 10 },
      { adapter: "typed generic", size: 109_386, tensors: 6, a2sMs: 3, adamMs: 1.5, samples: 40 },
      ...missing.steps,
    ],
    memory: [
      {
        adapter: "typed fused",
        kind: "A2S",
        bytesPerParam: 16,
        bytesPerElement: 4,
        source: "checkpoint slots",
      },
    ],
    bandwidth: {
      elements: 1e7,
      triads: [
        { kernel: "triad, arrays as arguments", ms: 40, gbs: 3 },
        { kernel: "triad, arrays held by the loop's closure", ms: 20, gbs: 6 },
      ],
      triadGBs: 6,
      fusedA2SMs: 100,
      fusedA2SGBs: 4.8,
    },
    matmul: [{ shape: [64, 784, 128], ms: 10, gflops: 1.28, source: "dense random input" }],
    training: [
      {
        adapter: "onnxruntime",
        kind: "A2S",
        secondsPerEpoch: 1,
        cpuSecondsPerEpoch: 0.8,
        measuredSteps: 937,
        testAccuracy: 0.91,
      },
      {
        adapter: "typed fused",
        kind: "Adam",
        secondsPerEpoch: 2,
        cpuSecondsPerEpoch: 1.9,
        measuredSteps: 60,
        testAccuracy: 0.85,
      },
      ...missing.training,
    ],
    seed: { available: true, blasThreads: "1", output: seed },
  };
}

describe("ratio", () => {
  it("is null when either side is missing or the divisor is 0", () => {
    expect(ratio(2, 1)).toBe(2);
    expect(ratio(null, 1)).toBeNull();
    expect(ratio(1, 0)).toBeNull();
  });
});

describe("renderReport", () => {
  const report = renderReport(results());

  it("prints A2S / Adam per row and the speed-up over the seed's A2S at the same size", () => {
    // seed A2S 7.3 ms over typed fused A2S 1.2 ms = 6.08x
    expect(report).toContain("| typed fused | 109,386 | 6 | 1.20 | 1.00 | 1.20x | 6.08x |  |");
    expect(report).toContain("| NumPy seed (float64) | 109,386 | 6 | 7.30 | 1.00 | 7.30x | 1.00x |");
  });

  it("says why an adapter has no numbers", () => {
    expect(report).toContain(
      "| tfjs cpu | 109,386 | 6 | - | - | - | - | not available: Cannot find module '@a2s/tfjs' |",
    );
  });

  it("gives state in bytes and floats per parameter, the seed's included", () => {
    expect(report).toContain("| typed fused | A2S | 16.0 | 4.0 (float32) | checkpoint slots |");
    expect(report).toContain("| NumPy seed (float64) | A2S | 112.0 | 14.0 (float64) |");
  });

  it("reports bandwidth as GB/s and as a fraction of the fastest triad", () => {
    expect(report).toContain("| triad, arrays as arguments | 10,000,000 | 40.00 | 12 | 3.0 | 50% |");
    expect(report).toContain("| typed fused A2S step | 10,000,000 | 100 | 48 | 4.8 | 80% |");
  });

  it("labels extrapolated epochs and scales the seed's partial epoch to 938 steps", () => {
    expect(report).toContain("| typed fused | Adam | 2.00 | 1.90 | 60 (extrapolated) | 85.00% |");
    // 0.7 s for 100 steps is 6.566 s for 938.
    expect(report).toContain(
      "| NumPy seed (float64) | A2S | 6.57 | 5.63 | 100 (extrapolated) | 90.00% | 1.00x |",
    );
  });

  it("says a whole epoch was timed but its first step", () => {
    expect(report).toContain("| onnxruntime | A2S | 1.00 | 0.80 | 937 (+1 untimed) | 91.00% | 6.57x |");
  });

  it("records the load average", () => {
    expect(report).toContain("at start 1.00, 2.00, 3.00, at end 1.50, 2.00, 3.00");
  });
});

describe("goalLines", () => {
  const lines = goalLines(results(), seed);

  it("judges every adapter by its worst A2S / Adam ratio", () => {
    expect(lines[0]).toContain("typed fused 1.20x (worst at 109,386) met");
    expect(lines[0]).toContain("typed generic 2.00x (worst at 109,386) NOT met");
    expect(lines[0]).toContain("The NumPy seed: 7.30x");
  });

  it("judges the bandwidth fraction against 90%", () => {
    expect(lines[1]).toContain("80% (4.8 of 6.0 GB/s), NOT met");
  });

  it("judges onnxruntime's epoch against the seed's A2S epoch", () => {
    // 6.566 s over 1 s; in CPU seconds 5.628 s over 0.8 s.
    expect(lines[2]).toContain(
      "6.57x (1.00 vs 6.57 s; in CPU seconds 7.03x), met; test accuracy 91.00% vs 90.00%",
    );
  });
});
