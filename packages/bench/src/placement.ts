/**
 * Where the arrays of a WebAssembly kernel live, measured: the typed fused step (float64
 * math in JavaScript), the same step in float32 JavaScript (Math.fround), and the SIMD
 * kernels with every array copied, with only the parameters and gradient copied, and with
 * nothing copied, all timed side by side at each step size.
 */
import type { StepAdapter } from "./adapters/types.js";
import { froundA2SStep } from "./fround-step.js";
import { type Task, timeSideBySide } from "./measure.js";
import { FROUND_LABEL, PLACEMENT_LABELS, type Placement, TYPED_FUSED_LABEL } from "./placement-labels.js";
import type { RunPlan } from "./plan.js";
import type { PlacementRow } from "./results.js";
import { shapesFor } from "./shapes.js";
import { wasmA2SStepper } from "./wasm-host.js";

const PLACEMENTS: readonly Placement[] = ["all", "copy", "views"];

export async function measurePlacements(
  typedFused: StepAdapter | undefined,
  plan: RunPlan,
  log: (line: string) => void,
): Promise<PlacementRow[]> {
  const wasm = await import("@a2s/wasm-kernels");
  const rows: PlacementRow[] = [];
  for (const size of plan.stepSizes) {
    const shapes = shapesFor(size);
    const variants: { variant: string; task: Task }[] = [];
    const typed = typedFused ? await typedFused.make("A2S", shapes) : undefined;
    if (typed)
      variants.push({
        variant: TYPED_FUSED_LABEL,
        task: { run: () => typed.step(), async: false },
      });
    const fround = froundA2SStep(shapes);
    variants.push({ variant: FROUND_LABEL, task: { run: fround.step, async: false } });
    for (const placement of PLACEMENTS) {
      const stepper = wasmA2SStepper(wasm, shapes, placement);
      variants.push({
        variant: PLACEMENT_LABELS[placement],
        task: { run: () => stepper.step(), async: false },
      });
    }
    try {
      const timings = await timeSideBySide(
        variants.map((v) => v.task),
        plan.timing(size, true),
      );
      variants.forEach(({ variant }, i) => {
        const ms = (timings[i] as { ms: number }).ms;
        rows.push({ variant, size, ms });
        log(`  ${variant} @ ${size}: ${ms.toPrecision(3)} ms`);
      });
    } finally {
      await typed?.dispose();
    }
  }
  return rows;
}
