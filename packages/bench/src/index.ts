/**
 * `pnpm bench`: optimizer steps, optimizer state, memory bandwidth, matrix multiply and
 * MNIST training, for every adapter that loads, beside the NumPy seed when python3 has
 * NumPy. Prints a Markdown report and writes it with the JSON results.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMnist, mnistDataDir } from "@a2s/mnist";
import { ADAPTER_FAMILIES } from "./adapters/index.js";
import { TYPED_BOUND_ROW, TYPED_FUSED_ROW, TYPED_SIMD_ROW } from "./adapters/typed.js";
import type { StepAdapter, TrainAdapter } from "./adapters/types.js";
import { measureBandwidth } from "./bandwidth.js";
import { parseCli, USAGE, UsageError } from "./cli.js";
import { featureRows } from "./features.js";
import { startLimit } from "./limit.js";
import { matmulRows } from "./matmul.js";
import { profiledSteps, profileOnnxTraining } from "./onnx-profile.js";
import { measurePlacements } from "./placement.js";
import { makePlan } from "./plan.js";
import { renderReport } from "./report.js";
import type { BenchResults } from "./results.js";
import { runSeed } from "./seed.js";
import { firstLine, stepRows } from "./steps.js";
import { trainingRows } from "./training.js";
import { loadUnavailable } from "./unavailable.js";

const RESULTS_DIR = fileURLToPath(new URL("../results", import.meta.url));

async function main(argv: readonly string[]): Promise<void> {
  const cli = parseCli(argv, (quick) => (quick ? join(RESULTS_DIR, "quick") : RESULTS_DIR));
  const plan = makePlan(cli.quick);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    quick: cli.quick,
    machine: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      loadavgStart: loadavg(),
      loadavgEnd: [],
    },
    seconds: 0,
    limit: { available: false, reason: "not run" },
    limit128: { available: false, reason: "not run" },
    steps: [],
    features: [],
    memory: [],
    bandwidth: null,
    placements: [],
    matmul: [],
    training: [],
    seed: { available: false, reason: "skipped (--no-seed)" },
  };

  const mnist = await loadMnist();
  const steppers: StepAdapter[] = [];
  const trainers: TrainAdapter[] = [];
  for (const family of ADAPTER_FAMILIES) {
    try {
      const set = await family.load();
      steppers.push(...set.steppers);
      trainers.push(...set.trainers);
    } catch (error) {
      log(`${family.names.join(", ")}: not available (${firstLine(error)})`);
      const missing = loadUnavailable(family.names, firstLine(error), plan.stepSizes);
      results.steps.push(...missing.steps);
      results.training.push(...missing.training);
    }
  }

  log("bandwidth: triad and typed A2S");
  try {
    const typedRows: readonly string[] = [TYPED_FUSED_ROW, TYPED_SIMD_ROW, TYPED_BOUND_ROW];
    results.bandwidth = await measureBandwidth(
      steppers.filter((s) => typedRows.includes(s.name)),
      plan,
    );
  } catch (error) {
    log(`  failed: ${firstLine(error)}`);
  }

  // Before the adapters' rows, on a fresh heap: placed after them (after tfjs and
  // onnxruntime have run) the typed fused step here took several times as long as in its
  // own row, while alone it matches it.
  log("fused A2S in WebAssembly: where the arrays live");
  try {
    results.placements = await measurePlacements(
      steppers.find((s) => s.name === TYPED_FUSED_ROW),
      plan,
      log,
    );
  } catch (error) {
    results.placementNote = firstLine(error);
    log(`  not measured: ${results.placementNote}`);
  }

  log("optimizer steps: the C limits, then the adapters, then the C limits again");
  const limit = await startLimit(plan, log);
  // Measured rows go before the rows of adapters that did not load.
  const measured = [];
  for (const adapter of steppers) {
    const { steps, memory } = await stepRows(adapter, plan, log);
    measured.push(...steps);
    results.memory.push(...memory);
  }
  results.steps.unshift(...measured);
  // In the order of LIMIT_BUILDS: the native loop, then the one held to 128-bit lanes.
  const [native, limit128] = await limit.finish();
  results.limit = native ?? results.limit;
  results.limit128 = limit128;

  log("A2S with every feature on, beside plain A2S");
  for (const adapter of steppers) results.features?.push(...(await featureRows(adapter, plan, log)));

  log("matrix multiply");
  try {
    results.matmul = await matmulRows(mnist);
  } catch (error) {
    results.matmulNote = firstLine(error);
  }

  log("training");
  const trained = [];
  for (const adapter of trainers)
    trained.push(...(await trainingRows(adapter, mnist, plan.trainingSteps, log)));
  results.training.unshift(...trained);

  log("onnxruntime: profile of the fused training step");
  try {
    results.onnxProfile = await profileOnnxTraining(mnist, profiledSteps(plan.quick));
  } catch (error) {
    results.onnxProfile = null;
    results.onnxProfileNote = firstLine(error);
    log(`  not measured: ${results.onnxProfileNote}`);
  }

  if (!cli.noSeed) {
    log("NumPy seed");
    results.seed = await runSeed(mnistDataDir(), plan.seed);
    if (!results.seed.available) log(`  ${results.seed.reason}`);
  }

  results.machine.loadavgEnd = loadavg();
  results.seconds = (performance.now() - started) / 1000;
  const report = renderReport(results);
  process.stdout.write(`${report}\n`);
  if (cli.out !== null) {
    await mkdir(cli.out, { recursive: true });
    await writeFile(join(cli.out, "bench.json"), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(cli.out, "bench.md"), report);
    log(`wrote ${join(cli.out, "bench.md")} and bench.json`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    if (error.message) process.stderr.write(`${error.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exit(error.message ? 2 : 0);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
