/** The Markdown report (results/bench.md and stdout), made from the JSON results alone. */
import { ONNX_HOST_STEP_ROW } from "./adapters/onnxruntime.js";
import { tfjsGenericRow, tfjsRow } from "./adapters/tfjs.js";
import { TYPED_BOUND_ROW, TYPED_FUSED_ROW, TYPED_SIMD_ROW } from "./adapters/typed.js";
import { WASM_ROW } from "./adapters/wasm-kernels.js";
import { FEATURES_GOAL } from "./features.js";
import { LIMIT_128, NATIVE_LIMIT } from "./limit.js";
import { onnxProfileLines } from "./onnx-profile-report.js";
import { PLACEMENT_LABELS, TYPED_FUSED_LABEL } from "./placement-labels.js";
import { EPOCH_STEPS } from "./plan.js";
import type { BenchResults, Kind, LimitResult, LimitRow, SeedOutput, StepRow } from "./results.js";
import { FUSED_A2S_BYTES_PER_PARAM, gigabytesPerSecond } from "./triad.js";

export const SEED_LABEL = "NumPy seed (float64)";

/** Goal: an A2S step costs at most this many Adam steps in every adapter. */
export const STEP_RATIO_GOAL = 1.3;
/** Goal: the typed A2S step reaches this fraction of the triad's bandwidth. */
export const BANDWIDTH_GOAL = 0.9;
/** Goal: onnxruntime trains this many times faster per epoch than the NumPy seed. */
export const ONNX_SPEEDUP_GOAL = 4;
/** Goal: onnxruntime's A2S step at 1e7 parameters takes at most this many C-loop steps. */
export const ONNX_LIMIT_GOAL = 2;
/** Goal: the typed A2S step at 1e7 parameters takes at most this many C-loop steps. */
export const LIMIT_GOAL = 1.25;
const LIMIT_GOAL_SIZE = 10_000_000;
/** Goals: @a2s/tfjs's fused A2S step over `tf.train.adam`'s, at every size, per backend. */
export const TFJS_FUSED_GOALS = { cpu: 0.5, wasm: 1.15 } as const;
/** Training rows held to {@link ONNX_SPEEDUP_GOAL}: the step in onnxruntime's graph, and on the host. */
const ONNX_TRAINING_ROWS = ["onnxruntime", ONNX_HOST_STEP_ROW];
/** Rows held to {@link LIMIT_GOAL}: typed's kernels and the WebAssembly kernels driven on their own. */
const LIMIT_GOAL_ROWS = [TYPED_SIMD_ROW, TYPED_BOUND_ROW, TYPED_FUSED_ROW, WASM_ROW];
/** Rows whose step runs in WebAssembly SIMD: set beside the C loop held to its instruction set. */
const WASM_SIMD_ROWS = [TYPED_SIMD_ROW, TYPED_BOUND_ROW, WASM_ROW, tfjsRow("wasm")];

/** The row at `size` of a C loop, when it ran. */
function rowAt(limit: LimitResult | undefined, size: number): LimitRow | undefined {
  return limit?.available ? limit.rows.find((l) => l.size === size) : undefined;
}

/** The native C loop's row at `size`, when it ran. */
export function limitAt(r: BenchResults, size: number): LimitRow | undefined {
  return rowAt(r.limit, size);
}

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : a / b;
}

export function renderReport(r: BenchResults): string {
  const seed = r.seed.available ? r.seed.output : null;
  const lines: string[] = [];
  lines.push(`# a2s benchmarks${r.quick ? " (--quick)" : ""}`, "");
  lines.push(
    `Run ${r.startedAt}, ${r.seconds.toFixed(0)} s; Node ${r.machine.node} on ${r.machine.cpus} x ${r.machine.cpuModel}.`,
    `Load average (1, 5, 15 min) at start ${loads(r.machine.loadavgStart)}, at end ${loads(r.machine.loadavgEnd)}` +
      ` on ${r.machine.cpus} cores: figures taken under load are noisy; ratios measured side by side hold up better than absolute times.`,
    "",
  );

  lines.push("## Optimizer step", "");
  lines.push(
    "Median milliseconds per step after warm-up (tinybench; A2S and Adam timed in alternating rounds). " +
      "`vs limit` is this step's time over the C loop's at the same size ([c/fused-step.c](../c/fused-step.c), " +
      "compiled here, one thread, timed before and after the adapters' rows): how far from what the machine " +
      "allows. `A2S vs 128-bit limit` is over the same C file compiled for 128-bit lanes without fused " +
      "multiply-add (`-mprefer-vector-width=128 -mno-fma`), all that WebAssembly SIMD offers, and timed beside " +
      "it: for the rows run in WebAssembly SIMD (typed simd, wasm simd, tfjs wasm) how far from what their " +
      "instruction set allows; `vs limit` stays over the native loop. " +
      "`vs seed` is the NumPy seed's A2S step time over this A2S step time (how many times faster).",
    "",
  );
  lines.push(
    "| adapter | params | tensors | A2S ms | Adam ms | A2S / Adam | A2S vs limit | Adam vs limit | " +
      "A2S vs 128-bit limit | vs seed | note |",
  );
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  const vsSeed = (size: number, a2sMs: number | null) => {
    const seedRow = seed?.steps.find((s) => s.size === size);
    return times(ratio(seedRow ? seedRow.A2S.seconds * 1000 : null, a2sMs));
  };
  const vs128 = (size: number, a2sMs: number | null) => times(ratio(a2sMs, rowAt(r.limit128, size)?.a2sMs));
  // Results written before the 128-bit limit existed have no rows for it.
  const limits: [string, LimitResult][] = [[NATIVE_LIMIT.name, r.limit]];
  if (r.limit128) limits.push([LIMIT_128.name, r.limit128]);
  for (const [name, result] of limits) {
    if (!result.available) {
      lines.push(`| ${name} | | | | | | | | | | skipped: ${result.reason} |`);
      continue;
    }
    const { label, compiler, vectorised } = result;
    for (const [i, l] of result.rows.entries()) {
      const runs = `${l.samples} timed steps; A2S per run ${l.a2sRunMs.map(ms).join(", ")} ms`;
      const note =
        i === 0
          ? `${compiler}; ${vectorised === null ? "vectorisation not reported" : `vectorised: ${vectorised.join(", ") || "none"}`}; ${runs}`
          : runs;
      const native = limitAt(r, l.size);
      lines.push(
        `| ${label} | ${count(l.size)} | ${l.tensors} | ${ms(l.a2sMs)} | ${ms(l.adamMs)} | ` +
          `${times(ratio(l.a2sMs, l.adamMs))} | ${times(ratio(l.a2sMs, native?.a2sMs))} | ` +
          `${times(ratio(l.adamMs, native?.adamMs))} | ${vs128(l.size, l.a2sMs)} | ${vsSeed(l.size, l.a2sMs)} | ${note} |`,
      );
    }
  }
  for (const row of r.steps) {
    const limit = limitAt(r, row.size);
    lines.push(
      `| ${row.adapter} | ${count(row.size)} | ${row.tensors} | ${ms(row.a2sMs)} | ${ms(row.adamMs)} | ` +
        `${times(ratio(row.a2sMs, row.adamMs))} | ${times(ratio(row.a2sMs, limit?.a2sMs))} | ` +
        `${times(ratio(row.adamMs, limit?.adamMs))} | ${vs128(row.size, row.a2sMs)} | ` +
        `${vsSeed(row.size, row.a2sMs)} | ${row.note ?? ""} |`,
    );
  }
  if (seed) {
    for (const s of seed.steps) {
      const limit = limitAt(r, s.size);
      lines.push(
        `| ${SEED_LABEL} | ${count(s.size)} | ${s.tensors} | ${ms(s.A2S.seconds * 1000)} | ${ms(s.Adam.seconds * 1000)} | ` +
          `${times(s.A2S.seconds / s.Adam.seconds)} | ${times(ratio(s.A2S.seconds * 1000, limit?.a2sMs))} | ` +
          `${times(ratio(s.Adam.seconds * 1000, limit?.adamMs))} | ${vs128(s.size, s.A2S.seconds * 1000)} | ` +
          `1.00x | ${s.A2S.samples} timed steps after 11 |`,
      );
    }
  } else if (!r.seed.available) {
    lines.push(`| ${SEED_LABEL} | | | | | | | | | | not measured: ${r.seed.reason} |`);
  }
  lines.push("");

  lines.push("## A2S with every feature on", "");
  lines.push(...featureLines(r), "");

  lines.push("## Fused A2S in WebAssembly: where the arrays live", "");
  lines.push(...placementLines(r), "");

  lines.push("## Optimizer state", "");
  lines.push("Bytes of state per parameter, counted from the state itself after some steps.", "");
  lines.push("| adapter | optimizer | bytes / param | floats / param | counted from |");
  lines.push("| --- | --- | ---: | ---: | --- |");
  for (const m of r.memory) {
    lines.push(
      `| ${m.adapter} | ${m.kind} | ${m.bytesPerParam.toFixed(1)} | ${(m.bytesPerParam / m.bytesPerElement).toFixed(1)} ` +
        `(float${m.bytesPerElement * 8}) | ${m.source} |`,
    );
  }
  if (seed) {
    const s = seed.steps[0];
    if (s) {
      for (const kind of ["A2S", "Adam"] as Kind[]) {
        const bytes = s[kind].stateBytesPerParam;
        lines.push(
          `| ${SEED_LABEL} | ${kind} | ${bytes.toFixed(1)} | ${(bytes / 8).toFixed(1)} (float64) | the optimizer's arrays (nbytes) |`,
        );
      }
    }
  }
  lines.push("");

  lines.push("## Memory bandwidth", "");
  if (r.bandwidth) {
    const b = r.bandwidth;
    lines.push(
      "The fraction is of the fastest triad: the bandwidth a JavaScript loop over float32 arrays reaches here.",
      "",
    );
    lines.push("| kernel | elements | median ms | bytes / element | GB/s | of fastest triad |");
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const t of b.triads) {
      lines.push(
        `| ${t.kernel} | ${count(b.elements)} | ${ms(t.ms)} | 12 | ${gbs(t.gbs)} | ${percent(ratio(t.gbs, b.triadGBs))} |`,
      );
    }
    for (const step of b.steps) {
      lines.push(
        `| ${step.kernel} A2S step | ${count(b.elements)} | ${ms(step.ms)} | 48 | ${gbs(step.gbs)} | ` +
          `${percent(ratio(step.gbs, b.triadGBs))} |`,
      );
    }
    const limit = limitAt(r, b.elements);
    if (limit) {
      const limitGBs = gigabytesPerSecond(FUSED_A2S_BYTES_PER_PARAM * b.elements, limit.a2sMs);
      lines.push(
        `| C limit A2S step (same two passes; timed in the step rows) | ${count(b.elements)} | ${ms(limit.a2sMs)} | 48 | ` +
          `${gbs(limitGBs)} | ${percent(ratio(limitGBs, b.triadGBs))} |`,
      );
    }
  } else {
    lines.push("Not measured.");
  }
  lines.push("");
  lines.push("## Typed MLP matrix multiply", "");
  if (r.matmul.length > 0) {
    lines.push("| product | input | median ms | GFLOP/s (2mkn / time) |");
    lines.push("| --- | --- | ---: | ---: |");
    for (const m of r.matmul) {
      const [rows, inner, cols] = m.shape;
      lines.push(
        `| ${rows} x ${inner} by ${inner} x ${cols} | ${m.source} | ${ms(m.ms)} | ${m.gflops.toFixed(2)} |`,
      );
    }
  } else {
    lines.push(`Not measured: ${r.matmulNote ?? "@a2s/mlp not available"}.`);
  }
  lines.push("");

  lines.push("## Training", "");
  lines.push(
    `Seconds per MNIST epoch (${EPOCH_STEPS} steps of 64), the seed's MLP; test accuracy on all 10,000 test images ` +
      "after the timed steps. `vs seed` is the NumPy seed's seconds per epoch with the same optimizer over these.",
    "",
  );
  lines.push(
    "| adapter | optimizer | s / epoch | CPU s / epoch | steps timed | test accuracy | vs seed | note |",
  );
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const t of r.training) {
    lines.push(
      `| ${t.adapter} | ${t.kind} | ${secs(t.secondsPerEpoch)} | ${secs(t.cpuSecondsPerEpoch)} | ` +
        `${stepsTimed(t.measuredSteps)} | ${percent(t.testAccuracy, 2)} | ` +
        `${times(ratio(seedEpoch(seed, t.kind), t.secondsPerEpoch))} | ${t.note ?? ""} |`,
    );
  }
  if (seed) {
    for (const kind of ["A2S", "Adam"] as Kind[]) {
      const e = seed.epoch[kind];
      lines.push(
        `| ${SEED_LABEL} | ${kind} | ${secs(seedEpoch(seed, kind))} | ${secs(seedEpoch(seed, kind, "cpuSeconds"))} | ` +
          `${stepsTimed(e.steps)} | ${percent(e.testAccuracy, 2)} | 1.00x | ` +
          `OpenBLAS threads: ${r.seed.available ? r.seed.blasThreads : ""} |`,
      );
    }
  }
  lines.push("");

  lines.push("## onnxruntime training step: where the time goes", "");
  lines.push(...onnxProfileLines(r), "");

  lines.push("## Goals", "");
  lines.push(...goalLines(r, seed), "");
  return lines.join("\n");
}

/** The WebAssembly comparison: each way of running the step, per size, beside the typed fused step and the C loop. */
function placementLines(r: BenchResults): string[] {
  if (r.placements.length === 0) return [`Not measured: ${r.placementNote ?? "no rows"}.`];
  const out = [
    "The same A2S step (the seed's defaults, float32 storage) run five ways, timed side by side in alternating " +
      "rounds at each size: how much the copies between the caller's Float32Arrays and WebAssembly memory cost, " +
      "and whether float32 arithmetic alone would do. `vs typed fused` is this time over the typed fused step's " +
      "in the same rounds; `vs limit` over the C loop's.",
    "",
    "| variant | params | A2S ms | vs typed fused | vs limit |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const p of r.placements) {
    const typed = r.placements.find((q) => q.size === p.size && q.variant === TYPED_FUSED_LABEL);
    out.push(
      `| ${p.variant} | ${count(p.size)} | ${ms(p.ms)} | ${times(ratio(p.ms, typed?.ms))} | ` +
        `${times(ratio(p.ms, limitAt(r, p.size)?.a2sMs))} |`,
    );
  }
  return out;
}

/** The features rows: A2S with every feature beside plain A2S, per adapter and size. */
function featureLines(r: BenchResults): string[] {
  const rows = r.features ?? [];
  if (rows.length === 0) return ["Not measured in this run."];
  const out = [
    "Median milliseconds per step of A2S with every feature on (cosine schedule on `lrAdam`, warmup-cosine on " +
      "`lrSgd`, `weightDecay` 1e-4, `clipNorm` 1, which clips every step here, and a group of the biases with " +
      "its own rate and no decay) beside plain A2S in the same adapter, timed side by side in alternating rounds.",
    "",
    "| adapter | params | plain A2S ms | with features ms | features / plain | note |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const f of rows) {
    out.push(
      `| ${f.adapter} | ${count(f.size)} | ${ms(f.plainMs)} | ${ms(f.featuresMs)} | ` +
        `${times(ratio(f.featuresMs, f.plainMs))} | ${f.note ?? ""} |`,
    );
  }
  return out;
}

/** One line per goal: the figure measured and how far it is from the goal. */
export function goalLines(r: BenchResults, seed: SeedOutput | null): string[] {
  const out: string[] = [];
  const measured = r.steps.filter((s) => s.a2sMs !== null && s.adamMs !== null);
  const worst = new Map<string, StepRow>();
  for (const s of measured) {
    const current = worst.get(s.adapter);
    if (!current || (ratio(s.a2sMs, s.adamMs) ?? 0) > (ratio(current.a2sMs, current.adamMs) ?? 0)) {
      worst.set(s.adapter, s);
    }
  }
  const parts = [...worst.values()].map((s) => {
    const x = ratio(s.a2sMs, s.adamMs) as number;
    return `${s.adapter} ${times(x)} (worst at ${count(s.size)}) ${x <= STEP_RATIO_GOAL ? "met" : "NOT met"}`;
  });
  const seedRatio = seed?.steps.map((s) => s.A2S.seconds / s.Adam.seconds) ?? [];
  out.push(
    `- A2S step <= ${STEP_RATIO_GOAL}x Adam's in every adapter: ${parts.length ? parts.join("; ") : "no adapter measured"}.` +
      (seedRatio.length ? ` The NumPy seed: ${seedRatio.map((x) => times(x)).join(", ")}.` : ""),
  );
  const b = r.bandwidth;
  const bandwidthParts = (b?.steps ?? []).map((step) => {
    const fraction = ratio(step.gbs, b?.triadGBs) as number;
    return (
      `${step.kernel} ${percent(fraction)} (${gbs(step.gbs)} of ${gbs(b?.triadGBs ?? null)} GB/s) ` +
      `${fraction >= BANDWIDTH_GOAL ? "met" : "NOT met"}`
    );
  });
  out.push(
    `- Typed A2S at 1e7 >= ${percent(BANDWIDTH_GOAL)} of the (fastest) triad's bandwidth: ` +
      (bandwidthParts.length === 0 ? "not measured." : `${bandwidthParts.join("; ")}.`),
  );
  const limit = limitAt(r, LIMIT_GOAL_SIZE);
  const limitParts = LIMIT_GOAL_ROWS.map((name) => {
    const row = r.steps.find((s) => s.adapter === name && s.size === LIMIT_GOAL_SIZE);
    const x = ratio(row?.a2sMs, limit?.a2sMs);
    return x === null
      ? `${name} not measured`
      : `${name} ${times(x)} (${ms(row?.a2sMs ?? null)} vs ${ms(limit?.a2sMs ?? null)} ms) ${x <= LIMIT_GOAL ? "met" : "NOT met"}`;
  });
  // The kernels with nothing copied, from the WebAssembly comparison: what a caller that
  // keeps its parameters and gradients in the kernels' memory gets.
  const views = r.placements.find((p) => p.variant === PLACEMENT_LABELS.views && p.size === LIMIT_GOAL_SIZE);
  const viewsRatio = ratio(views?.ms, limit?.a2sMs);
  if (viewsRatio !== null) {
    limitParts.push(
      `${PLACEMENT_LABELS.views} ${times(viewsRatio)} (${ms(views?.ms ?? null)} ms, from the WebAssembly comparison) ` +
        `${viewsRatio <= LIMIT_GOAL ? "met" : "NOT met"}`,
    );
  }
  out.push(
    `- A2S step at ${count(LIMIT_GOAL_SIZE)} parameters <= ${LIMIT_GOAL}x the C loop's: ` +
      (r.limit.available
        ? `${limitParts.join("; ")}.`
        : `not measured (C limit skipped: ${r.limit.reason}).`),
  );
  out.push(...limit128Lines(r, limit));
  const onnxStep = r.steps.find((s) => s.adapter === "onnxruntime" && s.size === LIMIT_GOAL_SIZE);
  const onnxLimit = ratio(onnxStep?.a2sMs, limit?.a2sMs);
  out.push(
    `- onnxruntime's A2S step at ${count(LIMIT_GOAL_SIZE)} parameters <= ${ONNX_LIMIT_GOAL}x the C loop's: ` +
      (onnxLimit === null
        ? `not measured (${r.limit.available ? (onnxStep?.note ?? "no onnxruntime row") : `C limit skipped: ${r.limit.reason}`}).`
        : `${times(onnxLimit)} (${ms(onnxStep?.a2sMs ?? null)} vs ${ms(limit?.a2sMs ?? null)} ms), ` +
          `${onnxLimit <= ONNX_LIMIT_GOAL ? "met" : "NOT met"}.`),
  );
  const seedA2S = seedEpoch(seed, "A2S");
  // Both trainers: the step in the graph (createTrainer) and on the host (createHostStepTrainer).
  const onnxParts = ONNX_TRAINING_ROWS.map((name) => {
    const onnx = r.training.find((t) => t.adapter === name && t.kind === "A2S");
    const speedup = ratio(seedA2S, onnx?.secondsPerEpoch);
    return speedup === null
      ? `${name} not measured (${onnx ? (onnx.note ?? "no time") : "row missing"}${seed ? "" : ", no NumPy seed"})`
      : `${name} ${times(speedup)} (${secs(onnx?.secondsPerEpoch ?? null)} vs ${secs(seedA2S)} s; in CPU seconds ` +
          `${times(ratio(seedEpoch(seed, "A2S", "cpuSeconds"), onnx?.cpuSecondsPerEpoch))}) ` +
          `${speedup >= ONNX_SPEEDUP_GOAL ? "met" : "NOT met"}, test accuracy ` +
          `${percent(onnx?.testAccuracy ?? null, 2)} vs ${percent(seed?.epoch.A2S.testAccuracy ?? null, 2)}`;
  });
  out.push(
    `- onnxruntime trains >= ${ONNX_SPEEDUP_GOAL}x faster per epoch than the NumPy seed (A2S): ${onnxParts.join("; ")}.`,
  );
  out.push(...tfjsGoalLines(r));
  const featureParts = (r.features ?? [])
    .filter((f) => f.plainMs !== null && f.featuresMs !== null)
    .map((f) => {
      const x = ratio(f.featuresMs, f.plainMs) as number;
      return `${f.adapter} at ${count(f.size)} ${times(x)} ${x < FEATURES_GOAL ? "met" : "NOT met"}`;
    });
  out.push(
    `- A2S with every feature < ${FEATURES_GOAL}x plain A2S: ` +
      (featureParts.length ? `${featureParts.join("; ")}.` : "not measured."),
  );
  return out;
}

/**
 * Beside the limit goal, as an explanation of it and not the goal itself: the rows run in
 * WebAssembly SIMD at 1e7 against the C loop held to 128-bit lanes without FMA, as
 * WebAssembly SIMD is, where the native loop may use wider lanes and FMA. Nothing for
 * results written before that loop was timed.
 */
function limit128Lines(r: BenchResults, native: LimitRow | undefined): string[] {
  if (r.limit128 === undefined) return [];
  const head =
    "  - For explanation, not the goal: WebAssembly SIMD has only 128-bit lanes and no fused multiply-add; " +
    `against the C loop compiled to those (\`-mprefer-vector-width=128 -mno-fma\`) at ${count(LIMIT_GOAL_SIZE)} parameters`;
  if (!r.limit128.available) return [`${head}: not measured (skipped: ${r.limit128.reason}).`];
  const limit = rowAt(r.limit128, LIMIT_GOAL_SIZE);
  const versus = (name: string, a2sMs: number | null | undefined, where = "") => {
    const x = ratio(a2sMs, limit?.a2sMs);
    return x === null
      ? `${name} not measured`
      : `${name} ${times(x)} (${ms(a2sMs ?? null)} vs ${ms(limit?.a2sMs ?? null)} ms${where})`;
  };
  const parts = WASM_SIMD_ROWS.map((name) =>
    versus(name, r.steps.find((s) => s.adapter === name && s.size === LIMIT_GOAL_SIZE)?.a2sMs),
  );
  const views = r.placements.find((p) => p.variant === PLACEMENT_LABELS.views && p.size === LIMIT_GOAL_SIZE);
  if (views) parts.push(versus(PLACEMENT_LABELS.views, views.ms, ", from the WebAssembly comparison"));
  const overNative = ratio(limit?.a2sMs, native?.a2sMs);
  return [
    `${head} (${ms(limit?.a2sMs ?? null)} ms` +
      `${overNative === null ? "" : `, ${times(overNative)} the native loop's ${ms(native?.a2sMs ?? null)} ms`}): ` +
      `${parts.join("; ")}.`,
  ];
}

/**
 * @a2s/tfjs's fused kernel per backend: its A2S step over tf.train.adam's at each size
 * (the goal: every size within it), and over the generic path's A2S step where both ran.
 */
function tfjsGoalLines(r: BenchResults): string[] {
  return (Object.entries(TFJS_FUSED_GOALS) as ["cpu" | "wasm", number][]).map(([backend, goal]) => {
    const rows = r.steps.filter(
      (s) => s.adapter === tfjsRow(backend) && s.a2sMs !== null && s.adamMs !== null,
    );
    const parts = rows.map((s) => {
      const x = ratio(s.a2sMs, s.adamMs) as number;
      const generic = r.steps.find((g) => g.adapter === tfjsGenericRow(backend) && g.size === s.size);
      const vsGeneric = ratio(s.a2sMs, generic?.a2sMs);
      return (
        `${count(s.size)} ${times(x)} (${ms(s.a2sMs)} vs ${ms(s.adamMs)} ms` +
        `${vsGeneric === null ? "" : `; ${times(vsGeneric)} the generic path's ${ms(generic?.a2sMs ?? null)} ms`}) ` +
        `${x <= goal ? "met" : "NOT met"}`
      );
    });
    return (
      `- @a2s/tfjs ${backend}: fused A2S step <= ${goal}x tf.train.adam's at every size: ` +
      (parts.length === 0 ? "not measured." : `${parts.join("; ")}.`)
    );
  });
}

/** The seed's wall (or CPU) seconds scaled to a whole epoch. */
function seedEpoch(
  seed: SeedOutput | null,
  kind: Kind,
  clock: "seconds" | "cpuSeconds" = "seconds",
): number | null {
  if (!seed) return null;
  const e = seed.epoch[kind];
  return (e[clock] * seed.epoch.fullSteps) / e.steps;
}

/** The first step of a run is never timed (it builds sessions, graphs, JIT code). */
function stepsTimed(steps: number): string {
  if (steps === 0) return "0";
  return steps >= EPOCH_STEPS - 1 ? `${steps} (+1 untimed)` : `${steps} (extrapolated)`;
}

function loads(values: number[]): string {
  return values.map((v) => v.toFixed(2)).join(", ");
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function ms(value: number | null): string {
  if (value === null) return "-";
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

function secs(value: number | null): string {
  return value === null ? "-" : value.toFixed(2);
}

function gbs(value: number | null): string {
  return value === null ? "-" : value.toFixed(1);
}

function times(value: number | null): string {
  return value === null ? "-" : `${value.toFixed(2)}x`;
}

function percent(value: number | null, digits = 0): string {
  return value === null ? "-" : `${(value * 100).toFixed(digits)}%`;
}
