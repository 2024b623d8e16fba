import {
  A2S_SLOT_NAMES,
  type A2SOptions,
  a2sSchedule,
  resolveA2SOptions,
  type StepDiagnostics,
} from "@a2s/core";
import { fusedA2SStep, genericA2SStep } from "./a2s-kernels.js";
import { type AlgorithmSpec, HostOptimizer, type KernelSettings, type StepTensor } from "./host-optimizer.js";

const A2S_SPEC: AlgorithmSpec<A2SOptions> = {
  algorithm: "A2S",
  slots: A2S_SLOT_NAMES,
  resolve: resolveA2SOptions,
};

/**
 * The A2S (AdaFusion) optimizer over `Float32Array` / `Float64Array` parameters: Adam
 * blended into SGD with momentum, both learning rates shrunk by the gradient-difference
 * norm. State takes each tensor's dtype.
 *
 * @example
 * const opt = new A2S({ lrAdam: 1e-3, lrSgd: 1e-2 });
 * opt.update(params, grads); // params updated in place
 */
export class A2S extends HostOptimizer<A2SOptions> {
  #diagnostics: StepDiagnostics | undefined;

  /**
   * @param options hyperparameters over the seed's defaults.
   * @throws InvalidOptionError an unknown option or a value out of range.
   */
  constructor(options?: Partial<A2SOptions>, settings?: KernelSettings) {
    super(A2S_SPEC, options, settings);
  }

  /** What the last update did; `undefined` before the first update and after a load. */
  get diagnostics(): StepDiagnostics | undefined {
    return this.#diagnostics;
  }

  protected override step(tensors: readonly StepTensor[], t: number): void {
    const schedule = a2sSchedule(t, this.options);
    const kernel = this.kernel === "fused" ? fusedA2SStep : genericA2SStep;
    const s = kernel(this.options, schedule, tensors);
    this.#diagnostics = {
      t,
      w: schedule.w,
      curvature: s.curvature,
      lrScale: s.lrScale,
      lrAdam: s.lrAdamEff,
      lrSgd: s.lrSgdEff,
    };
  }

  protected override stateReplaced(): void {
    this.#diagnostics = undefined;
  }
}
