/**
 * The features rows: A2S with every feature on (schedules on both rates, decoupled weight
 * decay, global-norm clipping that clips every step, a parameter group) beside plain A2S in
 * the same adapter, timed side by side in alternating rounds.
 */
import { type A2SOptions, cosineDecaySchedule, warmupCosineDecaySchedule } from "@a2s/core";
import type { StepAdapter, Stepper } from "./adapters/types.js";
import type { RunPlan } from "./plan.js";
import type { FeatureRow } from "./results.js";
import { MLP_PARAMS, shapesFor } from "./shapes.js";
import { firstLine, runsAt, timeSteppers } from "./steps.js";

/** Goal (issue 12): A2S with every feature costs under this many plain A2S steps. */
export const FEATURES_GOAL = 1.15;
/** Sizes up to this one: the MLP's and 1e6 (1e7 adds minutes and nothing the 1e6 row does not show). */
const FEATURES_MAX_SIZE = 1_000_000;

/**
 * Every feature, each doing work on every step. The bench's gradients are uniform in
 * [-0.01, 0.01): their global norm is about 1.9 at the MLP's size and 5.8 at 1e6, so a
 * `clipNorm` of 1 scales them every step. The group takes the MLP's biases (`b1` to `b3`,
 * also as tfjs's `prefix/b1` variables) or the flat vector `x`, so it always matches.
 */
export function featuredA2SOptions(size: number): Partial<A2SOptions> {
  return {
    lrAdam: cosineDecaySchedule({ initValue: 1e-3, decaySteps: 1_000_000 }),
    lrSgd: warmupCosineDecaySchedule({
      initValue: 0,
      peakValue: 1e-2,
      warmupSteps: 1000,
      decaySteps: 1_000_000,
    }),
    weightDecay: 1e-4,
    clipNorm: 1,
    groups: [{ tensors: size === MLP_PARAMS ? /(^|\/)b\d$/ : /(^|\/)x$/, weightDecay: 0, lrAdam: 2e-3 }],
  };
}

export async function featureRows(
  adapter: StepAdapter,
  plan: RunPlan,
  log: (line: string) => void,
): Promise<FeatureRow[]> {
  if (!adapter.takesOptions || adapter.variant) return [];
  const rows: FeatureRow[] = [];
  for (const size of plan.stepSizes) {
    if (size > FEATURES_MAX_SIZE || !runsAt(adapter, size, plan)) continue;
    const shapes = shapesFor(size);
    const row: FeatureRow = { adapter: adapter.name, size, plainMs: null, featuresMs: null, samples: 0 };
    rows.push(row);
    let pair: Stepper[] = [];
    try {
      pair = [await adapter.make("A2S", shapes), await adapter.make("A2S", shapes, featuredA2SOptions(size))];
      const [plain, featured] = await timeSteppers(pair, plan.timing(size, adapter.cheapAtEverySize));
      row.plainMs = plain?.ms ?? null;
      row.featuresMs = featured?.ms ?? null;
      row.samples = Math.min(plain?.samples ?? 0, featured?.samples ?? 0);
      log(
        `  ${adapter.name} @ ${size}: plain ${row.plainMs?.toPrecision(3)} ms, features ${row.featuresMs?.toPrecision(3)} ms`,
      );
    } catch (error) {
      row.note = `failed: ${firstLine(error)}`;
      log(`  ${adapter.name} @ ${size}: ${row.note}`);
    } finally {
      for (const stepper of pair) await stepper.dispose();
    }
  }
  return rows;
}
