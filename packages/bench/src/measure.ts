/**
 * Timing with tinybench. Two tasks that are to be compared run in alternating rounds,
 * so a burst of load from another process on this shared machine lands on both rather
 * than on whichever happened to run at that moment; the reported figure is the median
 * of all rounds' samples, each taken after tinybench's warm-up.
 */
import { Bench } from "tinybench";

export interface TimingPlan {
  /** Rounds of alternation; each round warms up and times every task once more. */
  rounds: number;
  /** Minimum timed calls per task and round. */
  iterations: number;
  /** Time budget per task and round in milliseconds (the minimum iterations still run). */
  time: number;
  /** Minimum warm-up calls per task and round. */
  warmupIterations: number;
  /**
   * Warm-up budget in milliseconds (the minimum calls still run). Some adapters get
   * faster over their first dozens of steps (onnxruntime's A2S took 17 steps to settle),
   * so fast steps warm up for a while, not just a few calls.
   */
  warmupTime: number;
}

export interface Timing {
  /** Median milliseconds per call. */
  ms: number;
  samples: number;
}

export interface Task {
  run(): unknown;
  /**
   * Whether `run` returns a promise. Said rather than detected: tinybench would otherwise
   * call `run` once to find out, without awaiting it, and the next call would overlap.
   */
  async: boolean;
}

/** Medians of `tasks`, in the order given, measured side by side. */
export async function timeSideBySide(tasks: readonly Task[], plan: TimingPlan): Promise<Timing[]> {
  const samples: number[][] = tasks.map(() => []);
  for (let round = 0; round < plan.rounds; round++) {
    const bench = new Bench({
      iterations: plan.iterations,
      time: plan.time,
      warmupIterations: plan.warmupIterations,
      warmupTime: plan.warmupTime,
      retainSamples: true,
      throws: true,
    });
    // Odd rounds run the tasks in reverse so neither always goes first.
    const order = tasks.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const task = tasks[i] as Task;
      bench.add(String(i), () => task.run(), { async: task.async });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (!("latency" in result) || result.latency.samples === undefined) {
        throw new Error(`task ${task.name} ended ${result.state} without samples`);
      }
      // A loop, not push(...samples): a fast task leaves more samples than a call takes arguments.
      const list = samples[Number(task.name)] as number[];
      for (const sample of result.latency.samples) list.push(sample);
    }
  }
  return samples.map((list) => ({ ms: median(list), samples: list.length }));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
