/**
 * The NumPy rendition of the seed, run for real: its A2S must follow the same
 * trajectory as @a2s/typed in float64 (both implement the spec), and its state must be
 * the seed's 14 floats per parameter.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mnistDataDir } from "@a2s/mnist";
import { A2S } from "@a2s/typed";
import { describe, expect, it } from "vitest";
import { runSeed } from "../src/seed.js";

const PYTHON_DIR = fileURLToPath(new URL("../python", import.meta.url));

describe("python/seed_bench.py", () => {
  it("its A2S matches @a2s/typed in float64 across the blend, curvature included", () => {
    const script = `
import json, numpy as np, seed_bench as s
rng = np.random.default_rng(0)
params = {"a": rng.standard_normal(7), "b": rng.standard_normal(3)}
start = {k: v.tolist() for k, v in params.items()}
grads = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(12)]
opt = s.SeedA2S(switch_iter=4, blend_iters=4)
for g in grads:
    opt.update(params, g)
print(json.dumps({"start": start, "grads": [{k: v.tolist() for k, v in g.items()} for g in grads],
                  "end": {k: v.tolist() for k, v in params.items()}}))
`;
    const out = JSON.parse(
      execFileSync("python3", ["-c", script], { cwd: PYTHON_DIR, encoding: "utf8" }),
    ) as {
      start: Record<string, number[]>;
      grads: Record<string, number[]>[];
      end: Record<string, number[]>;
    };
    const params = { a: Float64Array.from(out.start["a"]!), b: Float64Array.from(out.start["b"]!) };
    const opt = new A2S({ switchIter: 4, blendIters: 4 });
    for (const g of out.grads)
      opt.update(params, { a: Float64Array.from(g["a"]!), b: Float64Array.from(g["b"]!) });
    for (const name of ["a", "b"] as const) {
      // Both follow the spec's formulas in float64; only summation order can differ.
      for (const [i, value] of out.end[name]!.entries()) expect(params[name][i]).toBeCloseTo(value, 12);
    }
  });

  it("emits step, state and epoch figures, with the seed's 14 float64 of A2S state per parameter", async () => {
    const result = await runSeed(mnistDataDir(), {
      sizes: [2000],
      repeats: 2,
      largeRepeats: 1,
      epochSteps: 3,
    });
    if (!result.available) throw new Error(result.reason);
    const [row] = result.output.steps;
    expect(row?.size).toBe(2000);
    expect(row?.A2S.stateBytesPerParam).toBe(14 * 8);
    expect(row?.Adam.stateBytesPerParam).toBe(2 * 8);
    expect(row?.A2S.seconds).toBeGreaterThan(0);
    // Three steps run; the first is untimed, as in the Node bench.
    expect(result.output.epoch.A2S.steps).toBe(2);
    expect(result.output.epoch.fullSteps).toBe(938);
    expect(result.output.epoch.Adam.testAccuracy).toBeGreaterThan(0.1);
    expect(result.output.epoch.A2S.cpuSeconds).toBeGreaterThan(0);
  }, 60_000);

  it("says so when python3 cannot be run", async () => {
    const saved = process.env["PYTHON"];
    process.env["PYTHON"] = "/nonexistent/python3";
    try {
      const result = await runSeed(mnistDataDir(), {
        sizes: [10],
        repeats: 1,
        largeRepeats: 1,
        epochSteps: 1,
      });
      expect(result).toMatchObject({ available: false });
      expect(result.available ? "" : result.reason).toMatch(/not found/);
    } finally {
      if (saved === undefined) delete process.env["PYTHON"];
      else process.env["PYTHON"] = saved;
    }
  });
});
