/** The typed A2S steps against the triad, timed side by side at one size. */
import type { StepAdapter } from "./adapters/types.js";
import { timeSideBySide } from "./measure.js";
import type { RunPlan } from "./plan.js";
import type { BandwidthResult } from "./results.js";
import { shapesFor } from "./shapes.js";
import {
  closureTriad,
  FUSED_A2S_BYTES_PER_PARAM,
  gigabytesPerSecond,
  TRIAD_BYTES_PER_ELEMENT,
  triad,
  triadArrays,
} from "./triad.js";

export async function measureBandwidth(
  typedSteps: readonly StepAdapter[],
  plan: RunPlan,
): Promise<BandwidthResult> {
  const n = plan.bandwidthElements;
  const { a, b, c } = triadArrays(n);
  const best = closureTriad(n);
  const kernels = ["triad, arrays as arguments", "triad, arrays held by the loop's closure"];
  const tasks = [
    { run: () => triad(a, b, c, 3), async: false },
    { run: best.run, async: false },
  ];
  const steppers = [];
  try {
    for (const adapter of typedSteps) {
      const stepper = await adapter.make("A2S", shapesFor(n));
      steppers.push(stepper);
      tasks.push({ run: () => stepper.step(), async: false });
    }
    const timings = await timeSideBySide(tasks, plan.timing(n, true));
    const triads = kernels.map((kernel, i) => {
      const ms = (timings[i] as { ms: number }).ms;
      return { kernel, ms, gbs: gigabytesPerSecond(TRIAD_BYTES_PER_ELEMENT * n, ms) };
    });
    return {
      elements: n,
      triads,
      triadGBs: Math.max(...triads.map((t) => t.gbs)),
      steps: typedSteps.map(({ name }, i) => {
        const ms = (timings[kernels.length + i] as { ms: number }).ms;
        return { kernel: name, ms, gbs: gigabytesPerSecond(FUSED_A2S_BYTES_PER_PARAM * n, ms) };
      }),
    };
  } finally {
    for (const stepper of steppers) await stepper.dispose();
  }
}
