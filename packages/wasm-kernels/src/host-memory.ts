/**
 * The A2S kernels over a WebAssembly memory their host owns (tfjs's wasm backend's heap),
 * at byte offsets the host gives: no copies into a memory of the kernels' own. The host
 * may grow its memory between calls; offsets stay valid, so no view is kept across calls.
 */
import type { GradientStats } from "./kernel-memory.js";
import { instantiate, type KernelExports } from "./module.js";
import { type A2SScalars, checkClip, foldA2S } from "./scalars.js";

/** Byte offsets of one tensor's A2S arrays in the host's memory (float32, 4-byte aligned). */
export interface A2SOffsets {
  param: number;
  grad: number;
  m: number;
  v: number;
  buf: number;
  prev: number;
}

export class A2SHostKernels {
  readonly #memory: WebAssembly.Memory;
  readonly #kernels: KernelExports;
  readonly #stats: number;

  /**
   * Kernels over `memory`; `statsOffset` is 32 bytes (8-byte aligned) of it that pass 1
   * may overwrite. Throws `WasmSimdUnavailableError` where the engine cannot run them.
   */
  constructor(memory: WebAssembly.Memory, statsOffset: number) {
    this.#memory = memory;
    this.#kernels = instantiate(memory);
    this.#stats = statsOffset;
  }

  /** Pass 1 over `n` gradient and previous-gradient elements; `clip` as {@link A2SKernels.gradientStats}. */
  gradientStats(grad: number, prev: number, n: number, clip = 1): GradientStats {
    checkClip(clip);
    const c = Math.fround(clip);
    this.#kernels.gradientStats(grad, prev, n, c, this.#stats);
    let s = new Float64Array(this.#memory.buffer, this.#stats, 4);
    let finite = true;
    if (!(Number.isFinite(s[0]) && Number.isFinite(s[1]))) {
      this.#kernels.gradientStatsExact(grad, prev, n, c, this.#stats);
      s = new Float64Array(this.#memory.buffer, this.#stats, 4);
      finite = s[3] === 1;
    }
    return { sumSquares: s[0] as number, diffSquares: s[1] as number, maxAbs: s[2] as number, finite };
  }

  /** Σp² of `n` parameters (the same pass, changing nothing). */
  paramSumSquares(param: number, n: number): number {
    return this.gradientStats(param, param, n).sumSquares;
  }

  /** Pass 2 in place: `m`, `v`, `buf`, `param` updated, the clipped gradient stored in `prev`. */
  update(at: Readonly<A2SOffsets>, n: number, scalars: Readonly<A2SScalars>): void {
    const k = foldA2S(scalars);
    this.#kernels.a2sUpdate(
      at.param,
      at.grad,
      at.m,
      at.v,
      at.buf,
      at.prev,
      n,
      k.clip,
      k.beta1,
      k.oneMinusBeta1,
      k.beta2,
      k.oneMinusBeta2,
      k.momentum,
      k.epsilon,
      k.adamRate,
      k.invBc2,
      k.sgdRate,
      k.decayRate,
    );
  }
}
