/** Runs python/seed_bench.py (the seed's experiment in NumPy) when python3 and NumPy are here. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SeedOutput, SeedResult } from "./results.js";

const SCRIPT = fileURLToPath(new URL("../python/seed_bench.py", import.meta.url));

export interface SeedPlan {
  sizes: readonly number[];
  repeats: number;
  largeRepeats: number;
  epochSteps: number;
}

/**
 * The NumPy run, or the reason it could not run. OpenBLAS gets one thread unless the
 * caller set OPENBLAS_NUM_THREADS: every Node adapter but onnxruntime computes on one
 * thread, and on a shared two-core machine a second BLAS thread mostly waits for a core.
 */
export async function runSeed(mnistDir: string, plan: SeedPlan): Promise<SeedResult> {
  const python = process.env["PYTHON"] ?? "python3";
  const probe = await run(python, ["-c", "import numpy"], process.env);
  if (!probe.ok) return { available: false, reason: `${python} with numpy not found (${probe.message})` };
  const blasThreads = process.env["OPENBLAS_NUM_THREADS"] ?? "1";
  const env = { ...process.env, OPENBLAS_NUM_THREADS: blasThreads, OMP_NUM_THREADS: blasThreads };
  const args = [
    SCRIPT,
    "--mnist",
    mnistDir,
    "--sizes",
    plan.sizes.join(","),
    "--repeats",
    String(plan.repeats),
    "--large-repeats",
    String(plan.largeRepeats),
    "--epoch-steps",
    String(plan.epochSteps),
  ];
  const result = await run(python, args, env);
  if (!result.ok) return { available: false, reason: `seed_bench.py failed: ${result.message}` };
  return { available: true, blasThreads, output: JSON.parse(result.stdout) as SeedOutput };
}

type RunResult = { ok: true; stdout: string } | { ok: false; message: string };

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error)
        resolve({ ok: false, message: (stderr || error.message).trim().split("\n").slice(-3).join(" ") });
      else resolve({ ok: true, stdout });
    });
  });
}
