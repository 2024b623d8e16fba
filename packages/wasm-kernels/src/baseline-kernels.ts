/** The baselines' steps (Adam, RMSProp, SGD with momentum) over float32 tensors held in WebAssembly memory. */
import { type GradientStats, KernelMemory } from "./kernel-memory.js";
import {
  type AdamScalars,
  foldAdam,
  foldRMSProp,
  foldSGDMomentum,
  type RMSPropScalars,
  type SGDMomentumScalars,
} from "./scalars.js";

/** Kernels whose first pass reads only the gradient (no previous gradient to compare with). */
class GradientKernels<Name extends string> extends KernelMemory<Name> {
  /**
   * Sum of g^2, max |g| and finiteness of tensor `index`'s gradient, and with `withParams`
   * the sum of p^2 of its parameters from the same pass; changes nothing.
   */
  gradientStats(
    index: number,
    withParams = false,
  ): Pick<GradientStats, "sumSquares" | "maxAbs" | "finite" | "paramSquares"> {
    const at = this.offsetsOf(index) as Record<string, number>;
    // The gradient against itself: the difference sums are unused.
    const grad = at["grad"] as number;
    const n = this.lengths[index] as number;
    const { sumSquares, maxAbs, finite, paramSquares } = this.stats(
      grad,
      grad,
      n,
      1,
      withParams ? at["param"] : undefined,
    );
    return { sumSquares, maxAbs, finite, ...(withParams ? { paramSquares } : {}) };
  }
}

/** A tensor's arrays for Adam: the parameters, the gradient and the two moments. */
export type AdamArrayName = "param" | "grad" | "m" | "v";

export class AdamKernels extends GradientKernels<AdamArrayName> {
  /** As {@link A2SKernels}'s constructor, with Adam's arrays. */
  constructor(lengths: readonly number[]) {
    super(lengths, ["param", "grad", "m", "v"]);
  }

  /** Updates `m`, `v` and `param` of tensor `index` from `clip·grad`; scalars checked first. */
  update(index: number, scalars: Readonly<AdamScalars>): void {
    const at = this.offsetsOf(index);
    const k = foldAdam(scalars);
    this.kernels.adamUpdate(
      at.param,
      at.grad,
      at.m,
      at.v,
      this.lengths[index] as number,
      k.clip,
      k.beta1,
      k.oneMinusBeta1,
      k.beta2,
      k.oneMinusBeta2,
      k.epsilon,
      k.rate,
      k.invBc2,
      k.decayRate,
    );
  }
}

/** A tensor's arrays for RMSProp: the parameters, the gradient and the mean square. */
export type RMSPropArrayName = "param" | "grad" | "v";

export class RMSPropKernels extends GradientKernels<RMSPropArrayName> {
  /** As {@link A2SKernels}'s constructor, with RMSProp's arrays. */
  constructor(lengths: readonly number[]) {
    super(lengths, ["param", "grad", "v"]);
  }

  /** Updates `v` and `param` of tensor `index` from `clip·grad`; scalars checked first. */
  update(index: number, scalars: Readonly<RMSPropScalars>): void {
    const at = this.offsetsOf(index);
    const k = foldRMSProp(scalars);
    this.kernels.rmspropUpdate(
      at.param,
      at.grad,
      at.v,
      this.lengths[index] as number,
      k.clip,
      k.decay,
      k.oneMinusDecay,
      k.epsilon,
      k.rate,
      k.decayRate,
    );
  }
}

/** A tensor's arrays for SGD with momentum: the parameters, the gradient and the momentum buffer. */
export type SGDMomentumArrayName = "param" | "grad" | "buf";

export class SGDMomentumKernels extends GradientKernels<SGDMomentumArrayName> {
  /** As {@link A2SKernels}'s constructor, with the momentum buffer. */
  constructor(lengths: readonly number[]) {
    super(lengths, ["param", "grad", "buf"]);
  }

  /** Updates `buf` and `param` of tensor `index` from `clip·grad`; scalars checked first. */
  update(index: number, scalars: Readonly<SGDMomentumScalars>): void {
    const at = this.offsetsOf(index);
    const k = foldSGDMomentum(scalars);
    this.kernels.sgdMomentumUpdate(
      at.param,
      at.grad,
      at.buf,
      this.lengths[index] as number,
      k.clip,
      k.momentum,
      k.rate,
      k.decayRate,
    );
  }
}
