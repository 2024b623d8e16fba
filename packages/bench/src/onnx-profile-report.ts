/** The report's section on onnxruntime's profile of its fused training step. */
import { EPOCH_STEPS } from "./plan.js";
import type { BenchResults, OnnxOpTime } from "./results.js";

export function onnxProfileLines(r: BenchResults): string[] {
  const p = r.onnxProfile;
  if (!p) return [`Not measured: ${r.onnxProfileNote ?? "onnxruntime did not run"}.`];
  const training = r.training.find((t) => t.adapter === "onnxruntime" && t.kind === "A2S");
  const unprofiled =
    training?.secondsPerEpoch == null
      ? ""
      : `; unprofiled, in the training row, ${fixed((training.secondsPerEpoch * 1000) / EPOCH_STEPS)} ms`;
  const share = (ms: number) => `${((100 * ms) / p.kernelMs).toFixed(1)}%`;
  const alone = p.gemmAlone;
  const typed = r.matmul.map((m) => `${m.gflops.toFixed(2)} on ${m.source}`).join(", ");
  const lines = [
    `The fused A2S step of the trainer (the MLP's forward and backward passes and A2S in one graph, one run per step) ` +
      `with onnxruntime's profiler on, over ${p.steps} MNIST batches of 64 run by one session; medians per step (a run the system ` +
      `interrupts charges the wait to one node). A step: ${fixed(p.stepMs)} ms in all (the profiler adds to every ` +
      `node${unprofiled}), ${fixed(p.runMs)} ms inside onnxruntime's run, ${fixed(p.kernelMs)} ms in its kernels. The run's ` +
      `time outside the kernels is onnxruntime's own between nodes; the step's time outside the run is the host's: ` +
      `feeding, onnxruntime-node copying every output into a new JavaScript buffer, the engine's checks and ` +
      `bookkeeping, garbage collection. A matrix product's rate is set against onnxruntime's Gemm kernel for the ` +
      `first layer's product (${product(alone.shape)}) in a model of its own, in this run: ` +
      `${fixed(alone.ms)} ms, ${alone.gflops.toFixed(1)} GFLOP/s` +
      (typed ? ` (@a2s/mlp's matmul of that product, above: ${typed} GFLOP/s).` : "."),
    "",
    "| part | operator | nodes / step | ms / step | of kernel time | GFLOP/s | vs Gemm alone |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const part of ["forward and backward", "optimizer step"] as OnnxOpTime["part"][]) {
    const ops = p.ops.filter((o) => o.part === part);
    for (const o of ops) {
      const rate = o.gflops === undefined ? "" : o.gflops.toFixed(1);
      const vs = o.gflops === undefined ? "" : `${((100 * o.gflops) / alone.gflops).toFixed(0)}%`;
      const name = o.shape ? `${o.op} (${product(o.shape)})` : o.op;
      lines.push(
        `| ${part} | ${name} | ${nodes(o.nodes)} | ${fixed(o.ms)} | ${share(o.ms)} | ${rate} | ${vs} |`,
      );
    }
    const total = ops.reduce((sum, o) => sum + o.ms, 0);
    lines.push(
      `| ${part} | all | ${nodes(ops.reduce((sum, o) => sum + o.nodes, 0))} | ${fixed(total)} | ${share(total)} | | |`,
    );
  }
  lines.push(
    `| onnxruntime between kernels | | | ${fixed(p.runMs - p.kernelMs)} | | | |`,
    `| host, outside the run | | | ${fixed(p.stepMs - p.runMs)} | | | |`,
  );
  return lines;
}

function product([m, k, n]: readonly [number, number, number]): string {
  return `${m} x ${k} by ${k} x ${n}`;
}

function fixed(ms: number): string {
  return ms >= 10 ? ms.toFixed(1) : ms.toFixed(3);
}

function nodes(count: number): string {
  return Number.isInteger(count) ? String(count) : count.toFixed(1);
}
