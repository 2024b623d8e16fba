/**
 * Where the time of onnxruntime's fused training step goes: the MLP's training graph with
 * A2S appended (what the trainer runs), stepped on MNIST batches with onnxruntime's
 * profiler on. Its kernels are summed per step by operator type and by part (the training
 * graph's own nodes; the optimizer's, which onnxruntime names `step/...`), against the
 * time inside onnxruntime's run and the whole step's. Each matrix product is set against
 * onnxruntime's Gemm of the first layer's shape run alone, and against @a2s/mlp's matmul
 * measured in this run (the bench's matrix-multiply rows).
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batches, type Mnist, mulberry32, permutation } from "@a2s/mnist";
import type { OnnxOpTime, OnnxProfile } from "./results.js";

/** Training steps profiled: the first one builds the sessions and is left out. */
export function profiledSteps(quick: boolean): number {
  // In float32, A2S's first bias correction is 1 from step 165: most of an epoch runs the
  // recording that pins it, which a full run profiles.
  return quick ? 30 : 400;
}

/** Matrix products: their time is held to floating-point operations per second. */
const MATMULS = new Set(["Gemm", "FusedGemm", "MatMul", "FusedMatMul"]);
const BATCH = 64;

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: {
    op_name?: string;
    input_type_shape?: Record<string, number[]>[];
    output_type_shape?: Record<string, number[]>[];
  };
}

/** The dims of the `i`th shape of a profile event's list. */
function dimsOf(list: Record<string, number[]>[] | undefined, i: number): number[] {
  return Object.values(list?.[i] ?? {})[0] ?? [];
}

/**
 * `[m, k, n]` of a matrix product from its operand and result shapes (`A` [m, k] or
 * transposed, result [m, n]): k is A's size over m, whichever way A is laid out.
 */
function productShape(event: ProfileEvent): [number, number, number] | undefined {
  const a = dimsOf(event.args?.input_type_shape, 0);
  const y = dimsOf(event.args?.output_type_shape, 0);
  if (a.length !== 2 || y.length !== 2) return undefined;
  const [m, n] = y as [number, number];
  return [m, ((a[0] as number) * (a[1] as number)) / m, n];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : (sorted[sorted.length >> 1] as number);
};

/** A node's kernel as the profile names it, with its median time over the runs kept. */
interface NodeTime {
  node: string;
  op: string;
  shape: [number, number, number] | undefined;
  us: number;
}

/**
 * Each node's median kernel time and the median run in the session of the most runs, its
 * first run left out (it allocates the session's buffers). A step that pins other host
 * values runs in a session of its own, whose nodes differ. Medians, since a run that the
 * operating system interrupts on a busy machine charges the wait to whatever node was
 * running.
 */
function medians(files: ProfileEvent[][]): { nodes: NodeTime[]; runUs: number; runs: number } {
  const runsOf = (events: ProfileEvent[]) =>
    events
      .filter((e) => e.cat === "Session" && e.name === "model_run")
      .sort((a, b) => a.ts - b.ts)
      .slice(1);
  const events = files.reduce((most, file) => (runsOf(file).length > runsOf(most).length ? file : most));
  const kept = runsOf(events);
  const inKept = (e: ProfileEvent) => kept.some((run) => e.ts >= run.ts && e.ts <= run.ts + run.dur);
  const byNode = new Map<string, { op: string; shape: NodeTime["shape"]; us: number[] }>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || !inKept(e)) continue;
    const node = e.name.slice(0, -"_kernel_time".length);
    const op = e.args?.op_name ?? "?";
    const entry = byNode.get(node) ?? { op, shape: MATMULS.has(op) ? productShape(e) : undefined, us: [] };
    entry.us.push(e.dur);
    byNode.set(node, entry);
  }
  const nodes = [...byNode].map(([node, { op, shape, us }]) => ({ node, op, shape, us: median(us) }));
  return { nodes, runUs: median(kept.map((run) => run.dur)), runs: kept.length };
}

/** The step's kernels per step, by part and operator type (and product shape). */
function byOperator(nodes: readonly NodeTime[], stepPrefix: string): OnnxOpTime[] {
  const rows = new Map<string, OnnxOpTime>();
  for (const { node, op, shape, us } of nodes) {
    // onnxruntime names a node it fused "fused <name>" (and "<name>_token_<k>" when repeated).
    const part = node.replace(/^fused /, "").startsWith(stepPrefix)
      ? "optimizer step"
      : "forward and backward";
    const key = `${part}|${op}|${shape?.join("x") ?? ""}`;
    const row = rows.get(key) ?? { op, part, nodes: 0, ms: 0, ...(shape ? { shape } : {}) };
    row.nodes += 1;
    row.ms += us / 1000;
    rows.set(key, row);
  }
  const ops = [...rows.values()].map((row) => {
    if (!row.shape) return row;
    const [m, k, n] = row.shape;
    return { ...row, gflops: (2 * m * k * n * row.nodes) / (row.ms * 1e6) };
  });
  return ops.sort((a, b) => b.ms - a.ms);
}

/** Reads and removes the profiles written to `dir`. */
async function profiles(dir: string): Promise<ProfileEvent[][]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith(".json"));
  const read = await Promise.all(
    files.map(async (file) => JSON.parse(await readFile(join(dir, file), "utf8")) as ProfileEvent[]),
  );
  await Promise.all(files.map((file) => rm(join(dir, file))));
  return read;
}

/**
 * onnxruntime's Gemm of the first layer's product (64 x 784 by 784 x 128) alone: the
 * median of its kernel over runs of a one-layer model, profiled like the step.
 */
async function gemmAlone(
  ort: typeof import("@a2s/onnxruntime"),
  params: Readonly<Record<string, Float32Array>>,
  images: Float32Array,
  dir: string,
): Promise<OnnxProfile["gemmAlone"]> {
  const { InferenceSession, Tensor } = await import("onnxruntime-node");
  const [inputs, units] = ort.SEED_LAYER_SIZES as [number, number];
  // A one-layer inference model is one Gemm (and an ArgMax over its result).
  const model = ort.buildInferenceModel([inputs, units], {
    W1: params.W1 as Float32Array,
    b1: params.b1 as Float32Array,
  });
  const session = await InferenceSession.create(model, {
    ...ort.DEFAULT_SESSION_OPTIONS,
    enableProfiling: true,
    profileFilePrefix: join(dir, "gemm"),
  });
  const feeds = { [ort.IMAGES]: new Tensor("float32", images, [BATCH, inputs]) };
  for (let i = 0; i < 101; i++) await session.run(feeds);
  await session.release();
  const gemm = medians(await profiles(dir)).nodes.find((n) => MATMULS.has(n.op));
  if (gemm === undefined) throw new Error("the one-layer model's profile has no Gemm");
  const ms = gemm.us / 1000;
  return { shape: [BATCH, inputs, units], ms, gflops: (2 * BATCH * inputs * units) / (ms * 1e6) };
}

/**
 * Profiles `steps` steps of the fused A2S training step on MNIST batches (after one step
 * that builds the sessions), in a temporary folder removed afterwards. Figures per step
 * are medians.
 */
export async function profileOnnxTraining(mnist: Mnist, steps: number): Promise<OnnxProfile> {
  const ort = await import("@a2s/onnxruntime");
  const { Mlp } = await import("@a2s/mlp");
  const dir = await mkdtemp(join(tmpdir(), "a2s-onnx-profile-"));
  try {
    const params = new Mlp({ seed: 1 }).params;
    const names = ort.mlpParamNames(ort.SEED_LAYER_SIZES);
    const step = ort.appendOptimizerStep(ort.buildTrainingModel(ort.SEED_LAYER_SIZES), new ort.A2S(), {
      gradients: Object.fromEntries(names.map((name) => [name, `grad_${name}`])),
      parameters: params,
      outputs: ["loss"],
      sessionOptions: { enableProfiling: true, profileFilePrefix: join(dir, "step") },
    });
    const order = permutation(mnist.train.count, mulberry32(1));
    const stepTimes: number[] = [];
    let first: Float32Array | undefined;
    for (const { x, y } of batches(mnist.train, BATCH, order)) {
      if (stepTimes.length > steps) break;
      first ??= x.slice();
      const start = performance.now();
      await step.run({
        [ort.IMAGES]: { type: "float32", data: x, dims: [y.length, x.length / y.length] },
        [ort.LABELS]: { type: "uint8", data: y, dims: [y.length] },
      });
      stepTimes.push(performance.now() - start);
    }
    // Each session writes its profile when released.
    await step.dispose();
    const { nodes, runUs, runs } = medians(await profiles(dir));
    return {
      steps: runs,
      stepMs: median(stepTimes.slice(1)),
      runMs: runUs / 1000,
      kernelMs: nodes.reduce((sum, n) => sum + n.us, 0) / 1000,
      ops: byOperator(nodes, ort.STEP_NAMES.node("")),
      gemmAlone: await gemmAlone(ort, params, first as Float32Array, dir),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
