/** Adam's step over float32 tensors held in WebAssembly memory. */
import { type GradientStats, KernelMemory } from "./kernel-memory.js";
import { type AdamScalars, foldAdam } from "./scalars.js";

/** A tensor's arrays for Adam: the parameters, the gradient and the two moments. */
export type AdamArrayName = "param" | "grad" | "m" | "v";

const ADAM_ARRAYS: readonly AdamArrayName[] = ["param", "grad", "m", "v"];

export class AdamKernels extends KernelMemory<AdamArrayName> {
  /** As {@link A2SKernels}'s constructor, with Adam's arrays. */
  constructor(lengths: readonly number[]) {
    super(lengths, ADAM_ARRAYS);
  }

  /** Sum of g^2, max |g| and finiteness of tensor `index`'s gradient; changes nothing. */
  gradientStats(index: number): Omit<GradientStats, "diffSquares"> {
    const at = this.offsetsOf(index);
    // The gradient against itself: the difference sum is 0 and unused.
    const { sumSquares, maxAbs, finite } = this.stats(at.grad, at.grad, this.lengths[index] as number, 1);
    return { sumSquares, maxAbs, finite };
  }

  /** Updates `m`, `v` and `param` of tensor `index` from `grad`; scalars checked first. */
  update(index: number, scalars: Readonly<AdamScalars>): void {
    const at = this.offsetsOf(index);
    const k = foldAdam(scalars);
    this.kernels.adamUpdate(
      at.param,
      at.grad,
      at.m,
      at.v,
      this.lengths[index] as number,
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
