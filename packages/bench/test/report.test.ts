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

const LIMIT_128_LABEL =
  "C limit, 128-bit lanes without FMA (WebAssembly SIMD's instruction set) " +
  "(cc -O3 -march=native -mprefer-vector-width=128 -mno-fma -fno-math-errno)";

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
    limit: {
      available: true,
      label: "C limit (cc -O3 -march=native -fno-math-errno)",
      compiler: "cc (Debian 12.2.0-14) 12.2.0",
      vectorised: ["diff_squares", "a2s_update", "adam_update"],
      rows: [
        { size: 109_386, tensors: 6, a2sMs: 0.1, adamMs: 0.05, samples: 600, a2sRunMs: [0.09, 0.11] },
        { size: 10_000_000, tensors: 1, a2sMs: 16, adamMs: 8, samples: 60, a2sRunMs: [14, 18] },
      ],
    },
    limit128: {
      available: true,
      label: LIMIT_128_LABEL,
      compiler: "cc (Debian 12.2.0-14) 12.2.0",
      vectorised: ["diff_squares", "a2s_update", "adam_update"],
      rows: [
        { size: 109_386, tensors: 6, a2sMs: 0.15, adamMs: 0.075, samples: 600, a2sRunMs: [0.14, 0.16] },
        { size: 10_000_000, tensors: 1, a2sMs: 24, adamMs: 12, samples: 60, a2sRunMs: [22, 26] },
      ],
    },
    steps: [
      { adapter: "typed fused", size: 109_386, tensors: 6, a2sMs: 1.2, adamMs: 1, samples: 40 },
      { adapter: "typed simd", size: 10_000_000, tensors: 1, a2sMs: 20, adamMs: 18, samples: 10 },
      {
        adapter: "typed simd, bound arrays (no copies)",
        size: 10_000_000,
        tensors: 1,
        a2sMs: 18,
        adamMs: 10,
        samples: 10,
      },
      { adapter: "typed fused", size: 10_000_000, tensors: 1, a2sMs: 100, adamMs: 90, samples: 10 },
      { adapter: "typed generic", size: 109_386, tensors: 6, a2sMs: 3, adamMs: 1.5, samples: 40 },
      { adapter: "wasm simd", size: 10_000_000, tensors: 1, a2sMs: 19, adamMs: 12, samples: 10 },
      ...missing.steps,
    ],
    features: [
      { adapter: "typed fused", size: 109_386, plainMs: 1, featuresMs: 1.1, samples: 40 },
      { adapter: "tfjs cpu", size: 109_386, plainMs: 10, featuresMs: 12, samples: 40 },
      {
        adapter: "onnxruntime",
        size: 109_386,
        plainMs: null,
        featuresMs: null,
        samples: 0,
        note: "failed: no session",
      },
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
      steps: [
        { kernel: "typed fused", ms: 100, gbs: 4.8 },
        { kernel: "typed simd", ms: 20, gbs: 24 },
      ],
    },
    placements: [
      { variant: "typed fused (JavaScript, float64 arithmetic)", size: 10_000_000, ms: 100 },
      { variant: "wasm simd, p and g in wasm memory (no copies)", size: 10_000_000, ms: 20 },
    ],
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

  it("prints A2S / Adam per row, the times over the C loops' and the speed-up over the seed's A2S at the same size", () => {
    // A2S 1.2 over the C loop's 0.1 ms = 12x, Adam 1 over 0.05 = 20x, A2S over the 128-bit
    // loop's 0.15 ms = 8x; seed A2S 7.3 ms over 1.2 ms = 6.08x.
    expect(report).toContain(
      "| typed fused | 109,386 | 6 | 1.20 | 1.00 | 1.20x | 12.00x | 20.00x | 8.00x | 6.08x |  |",
    );
    expect(report).toContain(
      "| NumPy seed (float64) | 109,386 | 6 | 7.30 | 1.00 | 7.30x | 73.00x | 20.00x | 48.67x | 1.00x |",
    );
  });

  it("puts the C loop's rows first, with its compiler and the kernels it vectorised", () => {
    const table = report.slice(report.indexOf("## Optimizer step"));
    const firstRow = table.split("\n").find((line) => line.startsWith("| C limit"));
    expect(firstRow).toBe(
      "| C limit (cc -O3 -march=native -fno-math-errno) | 109,386 | 6 | 0.100 | 0.050 | 2.00x | 1.00x | 1.00x | 0.67x | 73.00x | " +
        "cc (Debian 12.2.0-14) 12.2.0; vectorised: diff_squares, a2s_update, adam_update; " +
        "600 timed steps; A2S per run 0.090, 0.110 ms |",
    );
    expect(report).toContain(
      "| C limit (cc -O3 -march=native -fno-math-errno) | 10,000,000 | 1 | 16.00 | 8.00 | 2.00x | 1.00x | 1.00x | 0.67x | - | " +
        "60 timed steps; A2S per run 14.00, 18.00 ms |",
    );
    expect(table.indexOf("| C limit")).toBeLessThan(table.indexOf("| typed fused"));
  });

  it("puts the 128-bit loop's rows after the native loop's, over the native loop's time and at 1.00x of their own", () => {
    const table = report.slice(report.indexOf("## Optimizer step"));
    // 0.15 ms over the native loop's 0.1 ms, Adam 0.075 over 0.05: 1.5x each.
    expect(table).toContain(
      `| ${LIMIT_128_LABEL} | 109,386 | 6 | 0.150 | 0.075 | 2.00x | 1.50x | 1.50x | 1.00x | 48.67x | ` +
        "cc (Debian 12.2.0-14) 12.2.0; vectorised: diff_squares, a2s_update, adam_update; " +
        "600 timed steps; A2S per run 0.140, 0.160 ms |",
    );
    expect(table).toContain(
      `| ${LIMIT_128_LABEL} | 10,000,000 | 1 | 24.00 | 12.00 | 2.00x | 1.50x | 1.50x | 1.00x | - | ` +
        "60 timed steps; A2S per run 22.00, 26.00 ms |",
    );
    expect(table.indexOf("| C limit (")).toBeLessThan(table.indexOf(`| ${LIMIT_128_LABEL}`));
    expect(table.indexOf(`| ${LIMIT_128_LABEL}`)).toBeLessThan(table.indexOf("| typed simd"));
    // The WebAssembly rows: 20 and 19 ms over the 128-bit loop's 24 ms.
    expect(table).toContain(
      "| typed simd | 10,000,000 | 1 | 20.00 | 18.00 | 1.11x | 1.25x | 2.25x | 0.83x | - |  |",
    );
    expect(table).toContain(
      "| wasm simd | 10,000,000 | 1 | 19.00 | 12.00 | 1.58x | 1.19x | 1.50x | 0.79x | - |  |",
    );
  });

  it("has no 128-bit rows in results written before that loop was timed", () => {
    const old = renderReport({ ...results(), limit128: undefined });
    expect(old).not.toContain("| C limit, 128-bit");
    expect(old).toContain(
      "| typed fused | 109,386 | 6 | 1.20 | 1.00 | 1.20x | 12.00x | 20.00x | - | 6.08x |  |",
    );
  });

  it("leaves vs limit empty where the C loop has no row at that size", () => {
    expect(report).toContain(
      "| typed generic | 109,386 | 6 | 3.00 | 1.50 | 2.00x | 30.00x | 30.00x | 20.00x | 2.43x |  |",
    );
    const noLimit = renderReport({
      ...results(),
      steps: [{ adapter: "x", size: 5, tensors: 1, a2sMs: 1, adamMs: 1, samples: 1 }],
    });
    expect(noLimit).toContain("| x | 5 | 1 | 1.00 | 1.00 | 1.00x | - | - | - | - |  |");
  });

  it("says why the C loops were skipped", () => {
    const reason = "no C compiler found (cc: spawn cc ENOENT)";
    const skipped = renderReport({
      ...results(),
      limit: { available: false, reason },
      limit128: { available: false, reason },
    });
    expect(skipped).toContain(`| C limit | | | | | | | | | | skipped: ${reason} |`);
    expect(skipped).toContain(
      `| C limit, 128-bit lanes without FMA (WebAssembly SIMD's instruction set) | | | | | | | | | | skipped: ${reason} |`,
    );
    expect(skipped).toContain("| typed fused | 109,386 | 6 | 1.20 | 1.00 | 1.20x | - | - | - | 6.08x |  |");
  });

  it("says why an adapter has no numbers", () => {
    expect(report).toContain(
      "| tfjs cpu | 109,386 | 6 | - | - | - | - | - | - | - | not available: Cannot find module '@a2s/tfjs' |",
    );
  });

  it("compares the WebAssembly variants with the typed fused step and the C loop", () => {
    expect(report).toContain(
      "| wasm simd, p and g in wasm memory (no copies) | 10,000,000 | 20.00 | 0.20x | 1.25x |",
    );
    expect(report).toContain(
      "| typed fused (JavaScript, float64 arithmetic) | 10,000,000 | 100 | 1.00x | 6.25x |",
    );
    const none = renderReport({
      ...results(),
      placements: [],
      placementNote: "Cannot find module '@a2s/wasm-kernels'",
    });
    expect(none).toContain("Not measured: Cannot find module '@a2s/wasm-kernels'.");
  });

  it("gives state in bytes and floats per parameter, the seed's included", () => {
    expect(report).toContain("| typed fused | A2S | 16.0 | 4.0 (float32) | checkpoint slots |");
    expect(report).toContain("| NumPy seed (float64) | A2S | 112.0 | 14.0 (float64) |");
  });

  it("reports bandwidth as GB/s and as a fraction of the fastest triad", () => {
    expect(report).toContain("| triad, arrays as arguments | 10,000,000 | 40.00 | 12 | 3.0 | 50% |");
    expect(report).toContain("| typed fused A2S step | 10,000,000 | 100 | 48 | 4.8 | 80% |");
    expect(report).toContain("| typed simd A2S step | 10,000,000 | 20.00 | 48 | 24.0 | 400% |");
    // 48 bytes x 1e7 in 16 ms = 30 GB/s, 500% of the JavaScript triad's 6.
    expect(report).toContain(
      "| C limit A2S step (same two passes; timed in the step rows) | 10,000,000 | 16.00 | 48 | 30.0 | 500% |",
    );
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

  it("gives the features rows' ratio to plain A2S, and why a row has no numbers", () => {
    const report = renderReport(results());
    expect(report).toContain("| typed fused | 109,386 | 1.00 | 1.10 | 1.10x |  |");
    expect(report).toContain("| onnxruntime | 109,386 | - | - | - | failed: no session |");
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

  it("judges each typed step's bandwidth fraction against 90%", () => {
    expect(lines[1]).toBe(
      "- Typed A2S at 1e7 >= 90% of the (fastest) triad's bandwidth: typed fused 80% (4.8 of 6.0 GB/s) NOT met; " +
        "typed simd 400% (24.0 of 6.0 GB/s) met.",
    );
  });

  it("judges typed's and the WebAssembly A2S steps at 1e7 against 1.25x the C loop's", () => {
    expect(lines[2]).toBe(
      "- A2S step at 10,000,000 parameters <= 1.25x the C loop's: typed simd 1.25x (20.00 vs 16.00 ms) met; " +
        "typed simd, bound arrays (no copies) 1.13x (18.00 vs 16.00 ms) met; " +
        "typed fused 6.25x (100 vs 16.00 ms) NOT met; " +
        "wasm simd 1.19x (19.00 vs 16.00 ms) met; wasm simd, p and g in wasm memory (no copies) 1.25x " +
        "(20.00 ms, from the WebAssembly comparison) met.",
    );
    const skipped = goalLines(
      { ...results(), limit: { available: false, reason: "no C compiler found" } },
      seed,
    );
    expect(skipped[2]).toBe(
      "- A2S step at 10,000,000 parameters <= 1.25x the C loop's: not measured (C limit skipped: no C compiler found).",
    );
  });

  it("explains the limit goal with the WebAssembly rows at 1e7 against the 128-bit loop, without judging them", () => {
    // 24 ms over the native loop's 16; typed simd 20, bound 18, wasm simd 19, no-copies placement 20 ms over 24.
    const explanation =
      "  - For explanation, not the goal: WebAssembly SIMD has only 128-bit lanes and no fused multiply-add; " +
      "against the C loop compiled to those (`-mprefer-vector-width=128 -mno-fma`) at 10,000,000 parameters " +
      "(24.00 ms, 1.50x the native loop's 16.00 ms): ";
    expect(lines[3]).toBe(
      `${explanation}typed simd 0.83x (20.00 vs 24.00 ms); typed simd, bound arrays (no copies) 0.75x (18.00 vs 24.00 ms); ` +
        "wasm simd 0.79x (19.00 vs 24.00 ms); tfjs wasm not measured; " +
        "wasm simd, p and g in wasm memory (no copies) 0.83x (20.00 vs 24.00 ms, from the WebAssembly comparison).",
    );
    const withTfjs = results();
    withTfjs.steps.push({
      adapter: "tfjs wasm",
      size: 10_000_000,
      tensors: 1,
      a2sMs: 30,
      adamMs: 70,
      samples: 4,
    });
    expect(goalLines(withTfjs, seed)[3]).toContain("; tfjs wasm 1.25x (30.00 vs 24.00 ms);");
    // The goal itself stays against the native loop.
    expect(lines[2]).toContain("typed simd 1.25x (20.00 vs 16.00 ms) met");
    const skipped = goalLines({ ...results(), limit128: { available: false, reason: "cc failed" } }, seed);
    expect(skipped[3]).toBe(
      "  - For explanation, not the goal: WebAssembly SIMD has only 128-bit lanes and no fused multiply-add; " +
        "against the C loop compiled to those (`-mprefer-vector-width=128 -mno-fma`) at 10,000,000 parameters: " +
        "not measured (skipped: cc failed).",
    );
    const old = goalLines({ ...results(), limit128: undefined }, seed);
    expect(old[3]).toMatch(/^- onnxruntime's A2S step/);
  });

  it("judges onnxruntime's A2S step at 1e7 against 2x the C loop's", () => {
    expect(lines[4]).toBe(
      "- onnxruntime's A2S step at 10,000,000 parameters <= 2x the C loop's: not measured (no onnxruntime row).",
    );
    const measured = results();
    measured.steps.push({
      adapter: "onnxruntime",
      size: 10_000_000,
      tensors: 1,
      a2sMs: 40,
      adamMs: 30,
      samples: 5,
    });
    // 40 ms over the C loop's 16 ms.
    expect(goalLines(measured, seed)[4]).toBe(
      "- onnxruntime's A2S step at 10,000,000 parameters <= 2x the C loop's: 2.50x (40.00 vs 16.00 ms), NOT met.",
    );
  });

  it("judges A2S with every feature against 1.15x plain A2S, per adapter and size", () => {
    expect(lines.find((line) => line.startsWith("- A2S with every feature"))).toBe(
      "- A2S with every feature < 1.15x plain A2S: typed fused at 109,386 1.10x met; tfjs cpu at 109,386 1.20x NOT met.",
    );
    expect(goalLines({ ...results(), features: [] }, seed).at(-1)).toBe(
      "- A2S with every feature < 1.15x plain A2S: not measured.",
    );
  });

  it("judges both onnxruntime trainers' epochs against the seed's A2S epoch", () => {
    // 6.566 s over 1 s; in CPU seconds 5.628 s over 0.8 s. The host-step trainer has no row here.
    expect(lines[5]).toBe(
      "- onnxruntime trains >= 4x faster per epoch than the NumPy seed (A2S): onnxruntime 6.57x " +
        "(1.00 vs 6.57 s; in CPU seconds 7.03x) met, test accuracy 91.00% vs 90.00%; " +
        "onnxruntime, step on the host (typed simd) not measured (row missing).",
    );
    const measured = results();
    measured.training.push({
      adapter: "onnxruntime, step on the host (typed simd)",
      kind: "A2S",
      secondsPerEpoch: 2,
      cpuSecondsPerEpoch: 2,
      measuredSteps: 937,
      testAccuracy: 0.9,
    });
    // 6.566 s over 2 s: under 4x.
    expect(goalLines(measured, seed)[5]).toContain(
      "; onnxruntime, step on the host (typed simd) 3.28x (2.00 vs 6.57 s; in CPU seconds 2.81x) NOT met, " +
        "test accuracy 90.00% vs 90.00%.",
    );
  });

  it("judges tfjs's fused A2S step against tf.train.adam's per backend, at every size, beside the generic path", () => {
    expect(lines[6]).toBe(
      "- @a2s/tfjs cpu: fused A2S step <= 0.5x tf.train.adam's at every size: not measured.",
    );
    const measured = results();
    measured.steps.push(
      { adapter: "tfjs cpu", size: 109_386, tensors: 6, a2sMs: 2, adamMs: 10, samples: 10 },
      { adapter: "tfjs cpu (generic)", size: 109_386, tensors: 6, a2sMs: 12, adamMs: 10, samples: 10 },
      { adapter: "tfjs cpu", size: 10_000_000, tensors: 1, a2sMs: 1200, adamMs: 2000, samples: 4 },
      { adapter: "tfjs wasm", size: 109_386, tensors: 6, a2sMs: 1, adamMs: 1, samples: 10 },
    );
    const judged = goalLines(measured, seed);
    expect(judged[6]).toBe(
      "- @a2s/tfjs cpu: fused A2S step <= 0.5x tf.train.adam's at every size: " +
        "109,386 0.20x (2.00 vs 10.00 ms; 0.17x the generic path's 12.00 ms) met; " +
        "10,000,000 0.60x (1200 vs 2000 ms) NOT met.",
    );
    expect(judged[7]).toBe(
      "- @a2s/tfjs wasm: fused A2S step <= 1.15x tf.train.adam's at every size: 109,386 1.00x (1.00 vs 1.00 ms) met.",
    );
  });
});
