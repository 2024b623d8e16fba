/** The optimizer-step rows: A2S beside Adam in one adapter, and the state each keeps. */
import type { StepAdapter, Stepper } from "./adapters/types.js";
import { type Timing, type TimingPlan, timeSideBySide } from "./measure.js";
import type { RunPlan } from "./plan.js";
import type { Kind, MemoryRow, StepRow } from "./results.js";
import { MLP_PARAMS, shapesFor } from "./shapes.js";

export function runsAt(adapter: StepAdapter, size: number, plan: RunPlan): boolean {
  if (adapter.variant) return size === MLP_PARAMS;
  return adapter.cheapAtEverySize === true || size <= plan.slowAdapterMaxSize;
}

export async function stepRows(
  adapter: StepAdapter,
  plan: RunPlan,
  log: (line: string) => void,
): Promise<{ steps: StepRow[]; memory: MemoryRow[] }> {
  const steps: StepRow[] = [];
  const memory: MemoryRow[] = [];
  for (const size of plan.stepSizes) {
    const runs = runsAt(adapter, size, plan);
    // A variant has no row where it does not run: its main configuration has one.
    if (!runs && adapter.variant) continue;
    const shapes = shapesFor(size);
    const row: StepRow = {
      adapter: adapter.name,
      size,
      tensors: Object.keys(shapes).length,
      a2sMs: null,
      adamMs: null,
      samples: 0,
    };
    steps.push(row);
    if (!runs) {
      row.note = plan.quick ? "skipped in --quick" : "skipped: too slow per step at this size";
      continue;
    }
    let pair: Stepper[] = [];
    try {
      pair = [await adapter.make("A2S", shapes), await adapter.make("Adam", shapes)];
      const [a2s, adam] = await timeSteppers(pair, plan.timing(size, adapter.cheapAtEverySize));
      row.a2sMs = a2s?.ms ?? null;
      row.adamMs = adam?.ms ?? null;
      row.samples = Math.min(a2s?.samples ?? 0, adam?.samples ?? 0);
      if (size === MLP_PARAMS && !adapter.variant) {
        const kinds: Kind[] = ["A2S", "Adam"];
        for (const [i, stepper] of pair.entries()) {
          const state = await stepper.stateSize();
          memory.push({
            adapter: adapter.name,
            kind: kinds[i] as Kind,
            bytesPerParam: state.bytes / size,
            bytesPerElement: state.bytesPerElement,
            source: state.source,
          });
        }
      }
      log(`  ${adapter.name} @ ${size}: A2S ${fmt(row.a2sMs)} ms, Adam ${fmt(row.adamMs)} ms`);
    } catch (error) {
      row.note = `failed: ${firstLine(error)}`;
      log(`  ${adapter.name} @ ${size}: ${row.note}`);
    } finally {
      for (const stepper of pair) await stepper.dispose();
    }
  }
  return { steps, memory };
}

/** Medians of the steppers' steps, measured side by side in alternating rounds. */
export function timeSteppers(steppers: readonly Stepper[], timing: TimingPlan): Promise<Timing[]> {
  return timeSideBySide(
    steppers.map((stepper) => ({ run: () => stepper.step(), async: stepper.async })),
    timing,
  );
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

function fmt(ms: number | null): string {
  return ms === null ? "-" : ms.toPrecision(3);
}
