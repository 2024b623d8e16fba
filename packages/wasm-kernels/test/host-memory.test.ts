import { mulberry32 } from "@a2s/random";
import { describe, expect, it } from "vitest";
import { A2SHostKernels, A2SKernels, type A2SScalars } from "../src/index.js";

const N = 1027;
const SCALARS: A2SScalars = {
  clip: 0.5,
  beta1: 0.9,
  beta2: 0.999,
  momentum: 0.9,
  epsilon: 1e-8,
  biasCorrection1: 1 - 0.9 ** 3,
  biasCorrection2: 1 - 0.999 ** 3,
  w: 0.4,
  lrAdam: 0.01,
  lrSgd: 0.05,
  weightDecay: 0.01,
};

describe("A2SHostKernels (a memory the host owns, arrays at its offsets)", () => {
  it("compute what A2SKernels compute in their own memory, bit for bit, and touch nothing else", () => {
    const random = mulberry32(3);
    const arrays = ["param", "grad", "m", "v", "buf", "prev"] as const;
    const values = Object.fromEntries(
      arrays.map((name) => [
        name,
        Float32Array.from({ length: N }, () => (name === "v" ? random() : random() - 0.5)),
      ]),
    ) as Record<(typeof arrays)[number], Float32Array>;
    const own = new A2SKernels([N]);
    for (const name of arrays) own.tensors[0]![name].set(values[name]);

    // The host's memory: the arrays scattered at offsets of its choosing, a sentinel between them.
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const heap = () => new Float32Array(memory.buffer);
    heap().fill(7);
    const at = Object.fromEntries(arrays.map((name, k) => [name, 128 + k * (N + 3) * 4])) as Record<
      (typeof arrays)[number],
      number
    >;
    for (const name of arrays) heap().set(values[name], at[name] / 4);
    // Pass 1's results go to bytes 8 to 8 + STATS_BYTES, before the first array.
    expect(8 + A2SHostKernels.STATS_BYTES).toBeLessThanOrEqual(128);
    const host = new A2SHostKernels(memory, 8);

    const hostStats = host.gradientStats(at.grad, at.prev, N, SCALARS.clip);
    expect(hostStats).toEqual(own.gradientStats(0, SCALARS.clip));
    expect(host.gradientStats(at.grad, at.prev, N, SCALARS.clip, at.param)).toEqual(
      own.gradientStats(0, SCALARS.clip, true),
    );
    expect(host.paramSumSquares(at.param, N)).toBeGreaterThan(0);
    // The host may grow its memory between calls: offsets stay valid.
    memory.grow(1);
    host.update(at, N, SCALARS);
    own.update(0, SCALARS);
    for (const name of arrays) {
      expect(Array.from(heap().subarray(at[name] / 4, at[name] / 4 + N)), name).toEqual(
        Array.from(own.tensors[0]![name]),
      );
    }
    // The sentinels between the arrays are as they were.
    for (const name of arrays) expect(heap()[at[name] / 4 + N]).toBe(7);
  });
});
