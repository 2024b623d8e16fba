/** The A2S step's two passes over float32 tensors held in WebAssembly memory. */
import { type GradientStats, KernelMemory } from "./kernel-memory.js";
import { a2sUpdateAt } from "./passes.js";
import { type A2SScalars, checkClip } from "./scalars.js";

/** A tensor's arrays for A2S: the parameters, the gradient and the four state slots. */
export type A2SArrayName = "param" | "grad" | "m" | "v" | "buf" | "prev";

const A2S_ARRAYS: readonly A2SArrayName[] = ["param", "grad", "m", "v", "buf", "prev"];

export class A2SKernels extends KernelMemory<A2SArrayName> {
  /**
   * Memory for tensors of the given lengths, every array zero. Throws
   * `WasmSimdUnavailableError` where the engine cannot run the kernels, and
   * `KernelInputError` for lengths it cannot hold.
   */
  constructor(lengths: readonly number[]) {
    super(lengths, A2S_ARRAYS);
  }

  /**
   * Pass 1 for tensor `index`: reads `grad` and `prev`, and `param` when `withParams` (for
   * `paramSquares`), and changes nothing. `clip` (rounded to float32) scales the gradient
   * in the difference only; 1 means no clipping.
   */
  gradientStats(index: number, clip = 1, withParams = false): GradientStats {
    const at = this.offsetsOf(index);
    checkClip(clip);
    return this.stats(
      at.grad,
      at.prev,
      this.lengths[index] as number,
      clip,
      withParams ? at.param : undefined,
    );
  }

  /**
   * Pass 2 for tensor `index`: updates `m`, `v`, `buf` and `param` from `grad`, and stores
   * the clipped gradient in `prev`. The scalars are checked before anything changes.
   */
  update(index: number, scalars: Readonly<A2SScalars>): void {
    a2sUpdateAt(this.kernels, this.offsetsOf(index), this.lengths[index] as number, scalars);
  }
}
