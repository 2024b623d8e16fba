/**
 * The A2S kernels over a WebAssembly memory their host owns (tfjs's wasm backend's heap),
 * at byte offsets the host gives: no copies into a memory of the kernels' own. The host
 * may grow its memory between calls; offsets stay valid, so no view is kept across calls.
 */
import type { GradientStats } from "./kernel-memory.js";
import { STATS_BYTES } from "./layout.js";
import { instantiate, type KernelExports } from "./module.js";
import { type A2SOffsets, a2sUpdateAt, gradientStatsAt } from "./passes.js";
import { type A2SScalars, checkClip } from "./scalars.js";

export class A2SHostKernels {
  readonly #memory: WebAssembly.Memory;
  readonly #kernels: KernelExports;
  readonly #stats: number;

  /** Bytes of the host's memory pass 1 writes its results to (see the constructor). */
  static readonly STATS_BYTES = STATS_BYTES;

  /**
   * Kernels over `memory`; `statsOffset` is {@link A2SHostKernels.STATS_BYTES} bytes
   * (8-byte aligned) of it that pass 1 may overwrite. Throws `WasmSimdUnavailableError`
   * where the engine cannot run them.
   */
  constructor(memory: WebAssembly.Memory, statsOffset: number) {
    this.#memory = memory;
    this.#kernels = instantiate(memory);
    this.#stats = statsOffset;
  }

  /**
   * Pass 1 over `n` gradient and previous-gradient elements, and over `n` parameters at
   * `param` when given (for `paramSquares`); `clip` as {@link A2SKernels.gradientStats}.
   */
  gradientStats(grad: number, prev: number, n: number, clip = 1, param?: number): GradientStats {
    checkClip(clip);
    const stats = () => new Float64Array(this.#memory.buffer, this.#stats, STATS_BYTES / 8);
    return gradientStatsAt(this.#kernels, stats, this.#stats, grad, prev, n, clip, param);
  }

  /** Σp² of `n` parameters (the same pass, changing nothing). */
  paramSumSquares(param: number, n: number): number {
    return this.gradientStats(param, param, n).sumSquares;
  }

  /** Pass 2 in place: `m`, `v`, `buf`, `param` updated, the clipped gradient stored in `prev`. */
  update(at: Readonly<A2SOffsets>, n: number, scalars: Readonly<A2SScalars>): void {
    a2sUpdateAt(this.#kernels, at, n, scalars);
  }
}
