/** How much a run measures: the full run behind the committed results, or `--quick`. */
import type { TimingPlan } from "./measure.js";
import type { SeedPlan } from "./seed.js";
import { MLP_PARAMS } from "./shapes.js";

export interface RunPlan {
  quick: boolean;
  /** Sizes of the optimizer-step rows. */
  stepSizes: readonly number[];
  /**
   * Timing per size: fewer, longer calls at the large sizes. `cheap` steps (tens of
   * milliseconds at 1e7, where the slow adapters take seconds) get more rounds and calls
   * there, so that their ratios to the C loop rest on more than a handful of samples.
   */
  timing(size: number, cheap?: boolean): TimingPlan;
  /** Rounds and timed steps of the C limit per size, in each of its two runs. */
  limitTiming(size: number): { rounds: number; steps: number };
  /**
   * Sizes above this run only where a step is cheap (typed's SIMD and fused kernels, the
   * WebAssembly kernels); other adapters say they were skipped.
   */
  slowAdapterMaxSize: number;
  /** Elements of the triad and of the bandwidth comparison. */
  bandwidthElements: number;
  /** Training steps timed per adapter and optimizer; 938 is one epoch. */
  trainingSteps: number;
  seed: SeedPlan;
}

export const EPOCH_STEPS = 938;
const LARGE = 10_000_000;

export function makePlan(quick: boolean): RunPlan {
  const sizes = [MLP_PARAMS, 1_000_000, LARGE];
  if (quick) {
    return {
      quick,
      stepSizes: sizes,
      // A tfjs cpu step at 1e6 takes half a second: a few calls per size keep the run short.
      timing: (size, cheap = false) =>
        cheap && size >= LARGE
          ? { rounds: 2, iterations: 6, time: 0, warmupIterations: 2, warmupTime: 0 }
          : size > MLP_PARAMS
            ? { rounds: 1, iterations: 4, time: 0, warmupIterations: 2, warmupTime: 300 }
            : { rounds: 2, iterations: 10, time: 100, warmupIterations: 5, warmupTime: 150 },
      limitTiming: (size) => ({ rounds: 2, steps: size >= LARGE ? 5 : size > MLP_PARAMS ? 20 : 100 }),
      slowAdapterMaxSize: 1_000_000,
      bandwidthElements: LARGE,
      trainingSteps: 30,
      // The seed trains as many steps as the adapters, so accuracies compare.
      seed: { sizes: [MLP_PARAMS, 1_000_000], repeats: 8, largeRepeats: 2, epochSteps: 30 },
    };
  }
  return {
    quick,
    stepSizes: sizes,
    timing: (size, cheap = false) =>
      size >= LARGE
        ? cheap
          ? { rounds: 3, iterations: 12, time: 0, warmupIterations: 3, warmupTime: 0 }
          : // Up to six seconds per step (tfjs cpu, the generic kernel): five calls per optimizer.
            { rounds: 1, iterations: 4, time: 0, warmupIterations: 1, warmupTime: 0 }
        : size > MLP_PARAMS
          ? // A step of tfjs cpu or the generic kernel takes about half a second at 1e6.
            { rounds: 2, iterations: 8, time: 300, warmupIterations: 3, warmupTime: 300 }
          : { rounds: 4, iterations: 20, time: 400, warmupIterations: 10, warmupTime: 300 },
    limitTiming: (size) => ({ rounds: 3, steps: size >= LARGE ? 10 : size > MLP_PARAMS ? 60 : 300 }),
    slowAdapterMaxSize: LARGE,
    bandwidthElements: LARGE,
    trainingSteps: EPOCH_STEPS,
    seed: { sizes: [MLP_PARAMS, 1_000_000, LARGE], repeats: 30, largeRepeats: 4, epochSteps: EPOCH_STEPS },
  };
}
