/**
 * The fused steps over `@a2s/wasm-kernels`' WebAssembly SIMD kernels, for float32 tensors
 * on engines that have WebAssembly SIMD. The step's numbers, its guard and its published
 * values are those of the JavaScript fused kernels (fused-a2s.ts, fused-baselines.ts);
 * only the passes differ: pass 1 sums in the kernels, and pass 2 runs there, in float32
 * arithmetic, whenever bounds prove every float32 intermediate finite. A step they cannot
 * prove so (extreme gradients or rates) runs the JavaScript loops over the same arrays,
 * checking first, exactly as the JavaScript kernel would.
 */
import {
  type Algorithm,
  type AlgorithmDefinition,
  a2s,
  adam,
  type Engine,
  type FloatArray,
  NonFiniteGradientError,
  type PreparedStep,
  rmsprop,
  sgdMomentum,
} from "@a2s/core";
import {
  A2SKernels,
  AdamKernels,
  type KernelMemory,
  RMSPropKernels,
  SGDMomentumKernels,
  simdKernelsSupported,
} from "@a2s/wasm-kernels";
import { type A2SPasses, a2sFusable, a2sStep, JS_A2S_PASSES } from "./fused-a2s.js";
import {
  ADAM,
  type Baseline,
  type BaselinePasses,
  baselineStep,
  type Constants,
  jsBaselinePasses,
  RMSPROP,
  SGD_MOMENTUM,
} from "./fused-baselines.js";
import { addTensorSums, type FusedStep, type GradientSums, type TensorSums } from "./fused-step.js";
import { SimdMemory } from "./simd-memory.js";

/** A kernel set in its own memory, and the step that runs over it. */
export interface SimdRunner {
  readonly memory: SimdMemory;
  step(engine: Engine<FloatArray>, prepared: PreparedStep<FloatArray>): FusedStep;
}

/** The SIMD kernels of one algorithm. */
export interface SimdKernel {
  /** Whether they compute the algorithm with these options (else the next kernel runs). */
  supports?(algorithm: Algorithm): boolean;
  /**
   * Kernels in a new WebAssembly memory for tensors of these sizes.
   * @throws KernelInputError tensors too large for one WebAssembly memory.
   */
  create(sizes: readonly number[]): SimdRunner;
}

/** One tensor's pass 1 in the kernels. */
interface TensorStats extends TensorSums {
  readonly finite: boolean;
}

/**
 * Pass 1 in the kernels: readies the memory, then adds each tensor's sums (`stats`, which
 * reads the parameters too for Σp² when `withDecay`).
 * @throws NonFiniteGradientError at the first non-finite gradient element.
 */
function sumsIn(
  memory: SimdMemory,
  prepared: PreparedStep<FloatArray>,
  withDecay: boolean,
  stats: (k: number, withParams: boolean) => TensorStats,
): GradientSums {
  memory.enter(prepared);
  const { kernels } = memory;
  return addTensorSums(
    prepared.tensors.map((info, k) => {
      const s = stats(k, withDecay);
      if (!s.finite) {
        const index = kernels.firstNonFinite(k);
        throw new NonFiniteGradientError(info.name, index, memory.views(k).grad?.[index] as number);
      }
      return s;
    }),
  );
}

/** A2S: pass 1 with the previous gradient, pass 2 in the kernels or, unproven, in JavaScript. */
function a2sRunner(sizes: readonly number[]): SimdRunner {
  const kernels = new A2SKernels(sizes);
  const memory = new SimdMemory(kernels, ["m", "v", "buf", "prev"]);
  const passes: A2SPasses = {
    sums: (prepared, withDecay) =>
      sumsIn(memory, prepared, withDecay, (k, withParams) => kernels.gradientStats(k, 1, withParams)),
    clippedDifferenceSquares(prepared, c) {
      // A factor below the smallest float32 would be 0 in the kernels.
      if (Math.fround(c) === 0) return JS_A2S_PASSES.clippedDifferenceSquares(prepared, c);
      return prepared.tensors.reduce((total, _, k) => total + kernels.gradientStats(k, c).diffSquares, 0);
    },
    write(prepared, plan) {
      if (!plan.safeInFloat32) return JS_A2S_PASSES.write(prepared, plan);
      const { c, w } = plan.blend;
      plan.steps.forEach((s, k) => {
        kernels.update(k, {
          clip: c,
          beta1: s.beta1,
          beta2: s.beta2,
          momentum: s.momentum,
          epsilon: s.epsilon,
          biasCorrection1: s.biasCorrection1,
          biasCorrection2: s.biasCorrection2,
          w,
          lrAdam: s.lrAdam,
          lrSgd: s.lrSgd,
          weightDecay: s.weightDecay,
        });
      });
      memory.leave(prepared);
    },
  };
  return { memory, step: (engine, prepared) => a2sStep(engine, prepared, passes) };
}

/** A kernel set of a baseline: its arrays' owner and its per-tensor update. */
interface BaselineKernels<K> extends KernelMemory<string> {
  gradientStats(index: number, withParams: boolean): TensorStats;
  update(index: number, scalars: K): void;
}

/** A baseline's runner: its kernel set, its state slots and its scalars from the step's constants. */
function baselineRunner<S, K>(
  baseline: Baseline<S>,
  make: (sizes: readonly number[]) => BaselineKernels<K>,
  slots: readonly string[],
  scalars: (s: Constants<S>, clip: number) => K,
): SimdKernel["create"] {
  const js = jsBaselinePasses(baseline);
  return (sizes) => {
    const kernels = make(sizes);
    const memory = new SimdMemory(kernels, slots);
    const passes: BaselinePasses<S> = {
      sums: (prepared, withDecay) =>
        sumsIn(memory, prepared, withDecay, (k, withParams) => kernels.gradientStats(k, withParams)),
      write(prepared, plan) {
        if (!plan.safeInFloat32) return js.write(prepared, plan);
        plan.steps.forEach((s, k) => {
          kernels.update(k, scalars(s, plan.c));
        });
        memory.leave(prepared);
      },
    };
    return { memory, step: (engine, prepared) => baselineStep(engine, prepared, baseline, passes) };
  };
}

/** The algorithms with SIMD kernels, by definition. */
export const SIMD_KERNELS = new Map<AlgorithmDefinition, SimdKernel>([
  [a2s.definition, { supports: a2sFusable, create: a2sRunner }],
  [
    adam.definition,
    {
      create: baselineRunner(
        ADAM,
        (sizes) => new AdamKernels(sizes),
        ["m", "v"],
        (s, clip) => ({
          clip,
          beta1: s.beta1,
          beta2: s.beta2,
          epsilon: s.epsilon,
          biasCorrection1: s.bc1,
          biasCorrection2: s.bc2,
          learningRate: s.lr,
          weightDecay: s.weightDecay,
        }),
      ),
    },
  ],
  [
    rmsprop.definition,
    {
      create: baselineRunner(
        RMSPROP,
        (sizes) => new RMSPropKernels(sizes),
        ["v"],
        (s, clip) => ({
          clip,
          decay: s.decay,
          epsilon: s.epsilon,
          learningRate: s.lr,
          weightDecay: s.weightDecay,
        }),
      ),
    },
  ],
  [
    sgdMomentum.definition,
    {
      create: baselineRunner(
        SGD_MOMENTUM,
        (sizes) => new SGDMomentumKernels(sizes),
        ["buf"],
        (s, clip) => ({
          clip,
          momentum: s.momentum,
          learningRate: s.lr,
          weightDecay: s.weightDecay,
        }),
      ),
    },
  ],
]);

let supported: boolean | undefined;

/** Whether this engine runs the kernels (asked once: the answer does not change). */
export function simdAvailable(): boolean {
  supported ??= simdKernelsSupported();
  return supported;
}
