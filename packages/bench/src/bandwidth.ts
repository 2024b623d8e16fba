/** The typed fused A2S step against the triad, timed side by side at one size. */
import type { StepAdapter } from "./adapters/types.js";
import { timeSideBySide } from "./measure.js";
import type { RunPlan } from "./plan.js";
import type { BandwidthResult } from "./results.js";
import { shapesFor } from "./shapes.js";
import {
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
  const tasks = [{ run: () => triad(a, b, c, 3), async: false }];
  const stepper = fused ? await fused.make("A2S", shapesFor(n)) : undefined;
  if (stepper) tasks.push({ run: () => stepper.step(), async: false });
  try {
    const [triadTiming, fusedTiming] = await timeSideBySide(tasks, plan.timing(n));
    const triadMs = (triadTiming as { ms: number }).ms;
    const fusedMs = fusedTiming?.ms ?? null;
    return {
      elements: n,
      triadMs,
      triadGBs: gigabytesPerSecond(TRIAD_BYTES_PER_ELEMENT * n, triadMs),
      fusedA2SMs: fusedMs,
      fusedA2SGBs: fusedMs === null ? null : gigabytesPerSecond(FUSED_A2S_BYTES_PER_PARAM * n, fusedMs),
    };
  } finally {
    await stepper?.dispose();
  }
}
