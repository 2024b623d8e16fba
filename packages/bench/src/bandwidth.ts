/** The typed fused A2S step against the triad, timed side by side at one size. */
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
  fused: StepAdapter | undefined,
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
  const stepper = fused ? await fused.make("A2S", shapesFor(n)) : undefined;
  if (stepper) tasks.push({ run: () => stepper.step(), async: false });
  try {
    const timings = await timeSideBySide(tasks, plan.timing(n));
    const triads = kernels.map((kernel, i) => {
      const ms = (timings[i] as { ms: number }).ms;
      return { kernel, ms, gbs: gigabytesPerSecond(TRIAD_BYTES_PER_ELEMENT * n, ms) };
    });
    const fusedMs = timings[2]?.ms ?? null;
    return {
      elements: n,
      triads,
      triadGBs: Math.max(...triads.map((t) => t.gbs)),
      fusedA2SMs: fusedMs,
      fusedA2SGBs: fusedMs === null ? null : gigabytesPerSecond(FUSED_A2S_BYTES_PER_PARAM * n, fusedMs),
    };
  } finally {
    await stepper?.dispose();
  }
}
