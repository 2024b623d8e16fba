/**
 * One WebAssembly memory holding every array of a fixed set of tensors, and the kernels'
 * instance over it. The memory is sized once and never grown: growing would detach every
 * Float32Array view handed out.
 */
import { KernelInputError } from "./errors.js";
import { layout, STATS_BYTES, STATS_OFFSET } from "./layout.js";
import { instantiate, type KernelExports } from "./module.js";
import { gradientStatsAt } from "./passes.js";

/** Pass 1's results for one tensor. */
export interface GradientStats {
  /** Sum of g^2 (of the unclipped gradient), for a global clipping norm. */
  sumSquares: number;
  /** Sum of (clip*g - prev)^2, for the curvature. */
  diffSquares: number;
  /** Largest |g|. */
  maxAbs: number;
  /** Whether every g is finite; when false the sums mean nothing, and `firstNonFinite` finds the culprit. */
  finite: boolean;
  /**
   * Sum of g*prev (unclipped g) and sum of prev^2: with `sumSquares` they give the sum of
   * (c*g - prev)^2 for any other clipping factor c, c^2*Σg^2 - 2c*Σg*prev + Σprev^2, where
   * that difference does not cancel.
   */
  gradPrev: number;
  prevSquares: number;
  /** Sum of p^2 of the tensor's parameters, when the pass was asked to read them too. */
  paramSquares?: number;
}

export class KernelMemory<Name extends string> {
  /** Each tensor's arrays, viewed in the kernels' memory, in the order of the lengths given. */
  readonly tensors: readonly Readonly<Record<Name, Float32Array>>[];
  readonly lengths: readonly number[];
  protected readonly kernels: KernelExports;
  /** Byte offsets of each tensor's arrays, by name. */
  protected readonly at: readonly Readonly<Record<Name, number>>[];
  readonly #stats: Float64Array;

  protected constructor(lengths: readonly number[], names: readonly Name[]) {
    const { offsets, pages } = layout(lengths, names.length);
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    } catch (error) {
      throw new KernelInputError(
        `could not allocate ${pages} pages of kernel memory: ${(error as Error).message}`,
      );
    }
    this.kernels = instantiate(memory);
    this.lengths = Object.freeze([...lengths]);
    this.at = offsets.map(
      (row) => Object.fromEntries(names.map((name, k) => [name, row[k]])) as Record<Name, number>,
    );
    this.tensors = Object.freeze(
      offsets.map((row, i) =>
        Object.freeze(
          Object.fromEntries(
            names.map((name, k) => [name, new Float32Array(memory.buffer, row[k], lengths[i])]),
          ) as Record<Name, Float32Array>,
        ),
      ),
    );
    this.#stats = new Float64Array(memory.buffer, STATS_OFFSET, STATS_BYTES / 8);
  }

  /** Index of the first NaN or ±Infinity in tensor `index`'s gradient, or -1 when all are finite. */
  firstNonFinite(index: number): number {
    const at = this.offsetsOf(index) as Record<string, number>;
    return this.kernels.firstNonFinite(at["grad"] as number, this.lengths[index] as number);
  }

  /**
   * Sum of p^2, max |p| and finiteness of tensor `index`'s parameters, by the same pass as
   * the gradients' (bounds on a step with weight decay need them); changes nothing.
   */
  paramStats(index: number): Pick<GradientStats, "sumSquares" | "maxAbs" | "finite"> {
    const param = (this.offsetsOf(index) as Record<string, number>)["param"] as number;
    const { sumSquares, maxAbs, finite } = this.stats(param, param, this.lengths[index] as number, 1);
    return { sumSquares, maxAbs, finite };
  }

  protected offsetsOf(index: number): Readonly<Record<Name, number>> {
    if (!Number.isInteger(index) || index < 0 || index >= this.lengths.length) {
      throw new KernelInputError(
        `tensor index must be a whole number in [0, ${this.lengths.length - 1}], got ${String(index)}`,
      );
    }
    return this.at[index] as Record<Name, number>;
  }

  /** Pass 1 over `grad` and `prev` (byte offsets), and `param` when given; see {@link gradientStatsAt}. */
  protected stats(grad: number, prev: number, n: number, clip: number, param?: number): GradientStats {
    return gradientStatsAt(this.kernels, () => this.#stats, STATS_OFFSET, grad, prev, n, clip, param);
  }
}
