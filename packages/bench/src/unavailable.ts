/** Rows for an adapter whose package could not be loaded: they say so, with the reason. */
import type { StepRow, TrainingRow } from "./results.js";
import { shapesFor } from "./shapes.js";

export function loadUnavailable(
  names: readonly string[],
  reason: string,
  sizes: readonly number[],
): { steps: StepRow[]; training: TrainingRow[] } {
  const note = `not available: ${reason}`;
  const steps: StepRow[] = [];
  const training: TrainingRow[] = [];
  for (const adapter of names) {
    for (const size of sizes) {
      steps.push({
        adapter,
        size,
        tensors: Object.keys(shapesFor(size)).length,
        a2sMs: null,
        adamMs: null,
        samples: 0,
        note,
      });
    }
    for (const kind of ["A2S", "Adam"] as const) {
      training.push({
        adapter,
        kind,
        secondsPerEpoch: null,
        cpuSecondsPerEpoch: null,
        measuredSteps: 0,
        testAccuracy: null,
        note,
      });
    }
  }
  return { steps, training };
}
