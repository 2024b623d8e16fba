import { relativeError, TOLERANCE } from "@a2s/conformance";
import { mulberry32 } from "@a2s/random";
import { describe, expect, it } from "vitest";
import { A2SKernels, type A2SScalars, KernelInputError } from "../src/index.js";
import {
  type A2SConfig,
  a2sStep,
  Problem,
  ReferenceA2S,
  referenceFullStats,
  referenceStats,
  slotError,
} from "./reference.js";

/** Odd lengths: 1, lengths that leave a remainder after 4 and after 8, and one long enough for several blocks. */
const LENGTHS = [1, 5, 7, 8, 13, 1027];
const STEPS = 60;

const BASE: A2SConfig = {
  clip: 1,
  w: 1,
  weightDecay: 0,
  lrAdam: 0.01,
  lrSgd: 0.05,
  beta1: 0.9,
  beta2: 0.999,
  momentum: 0.9,
  epsilon: 1e-8,
  curvatureK: 0.1,
};

const SLOTS = ["m", "v", "buf", "prev"] as const;

describe("A2SKernels against the float64 reference", () => {
  const cases = [1, 0.4, 0].flatMap((w) =>
    [1, 0.3].flatMap((clip) => [0, 0.01].map((weightDecay) => ({ ...BASE, w, clip, weightDecay }))),
  );
  it.each(
    cases,
  )("w $w, clip $clip, weight decay $weightDecay: 60 steps within the conformance suite's float32 tolerance", (config) => {
    const problem = new Problem(LENGTHS, STEPS, 7);
    const kernels = new A2SKernels(LENGTHS);
    const reference = new ReferenceA2S(LENGTHS);
    LENGTHS.forEach((_, i) => {
      kernels.tensors[i]!.param.set(problem.start[i]!);
      reference.tensors[i]!.param.set(problem.start[i]!);
    });
    for (let t = 1; t <= STEPS; t++) {
      const stats = a2sStep(kernels, problem, t, config);
      a2sStep(reference, problem, t, config);
      expect(stats.every((s) => s.finite)).toBe(true);
      for (const [i, tensor] of reference.tensors.entries()) {
        const error = relativeError(kernels.tensors[i]!.param, tensor.param);
        expect(error, `param of tensor ${i} (length ${LENGTHS[i]}) after step ${t}`).toBeLessThanOrEqual(
          TOLERANCE.float32,
        );
      }
      for (const name of SLOTS) {
        const error = slotError(
          kernels.tensors.map((k) => k[name]),
          reference.tensors.map((r) => r[name]),
        );
        expect(error, `${name} after step ${t}`).toBeLessThanOrEqual(TOLERANCE.float32);
      }
    }
    // The trajectory moved: a kernel that did nothing would not pass the comparison above.
    expect(relativeError(reference.tensors[5]!.param, problem.start[5]!)).toBeGreaterThan(0.1);
  });
});

/**
 * The fast pass sums squares in float32 within blocks of 64 per lane, then in float64:
 * each square costs one rounding, each difference one more, and the 64 additions up to
 * 63 more, so the relative error of a sum of positive terms stays below 66 units of
 * float32 roundoff (2^-24). A lost or doubled element costs far more than that.
 */
const SUM_TOLERANCE = 66 * 2 ** -24;

function filled(random: () => number, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * random() - 1) * scale);
}

describe("gradientStats", () => {
  const lengths = [1, 3, 4, 9, 255, 256, 257, 5000];
  it.each([
    1, 0.3,
  ])("sums g^2 and (clip*g - prev)^2 as float64 does, finds max |g| exactly (clip %s)", (clip) => {
    const random = mulberry32(3);
    const kernels = new A2SKernels(lengths);
    lengths.forEach((n, i) => {
      const t = kernels.tensors[i]!;
      t.grad.set(filled(random, n, 2));
      t.prev.set(filled(random, n, 1));
      const s = kernels.gradientStats(i, clip);
      const e = referenceStats(t.grad, t.prev, Math.fround(clip));
      expect(
        Math.abs(s.sumSquares - e.sumSquares) / e.sumSquares,
        `sumSquares, length ${n}`,
      ).toBeLessThanOrEqual(SUM_TOLERANCE);
      expect(
        Math.abs(s.diffSquares - e.diffSquares) / e.diffSquares,
        `diffSquares, length ${n}`,
      ).toBeLessThanOrEqual(SUM_TOLERANCE);
      expect(s.maxAbs, `maxAbs, length ${n}`).toBe(e.maxAbs);
      expect(s.finite).toBe(true);
    });
  });

  it.each([
    false,
    true,
  ])("also sums g*prev and prev^2, and p^2 from the parameters only when asked (asked: %s)", (withParams) => {
    const random = mulberry32(4);
    const kernels = new A2SKernels(lengths);
    lengths.forEach((n, i) => {
      const t = kernels.tensors[i]!;
      t.grad.set(filled(random, n, 2));
      t.prev.set(filled(random, n, 1));
      t.param.set(filled(random, n, 3));
      const s = kernels.gradientStats(i, 0.5, withParams);
      const e = referenceFullStats(t.grad, t.prev, Math.fround(0.5), t.param);
      // A signed sum: its error is bounded relative to the sum of the terms' magnitudes.
      expect(Math.abs(s.gradPrev - e.gradPrev) / e.gradPrevAbs, `gradPrev, length ${n}`).toBeLessThanOrEqual(
        SUM_TOLERANCE,
      );
      expect(
        Math.abs(s.prevSquares - e.prevSquares) / e.prevSquares,
        `prevSquares, length ${n}`,
      ).toBeLessThanOrEqual(SUM_TOLERANCE);
      if (withParams) {
        expect(
          Math.abs((s.paramSquares as number) - e.paramSquares) / e.paramSquares,
          `paramSquares, length ${n}`,
        ).toBeLessThanOrEqual(SUM_TOLERANCE);
      } else {
        expect(s).not.toHaveProperty("paramSquares");
      }
      // The other sums do not depend on whether the parameters were read.
      expect(s.diffSquares).toBe(kernels.gradientStats(i, 0.5, !withParams).diffSquares);
    });
  });

  it("gives (c*g - prev)^2 for another c from its sums: c^2*Σg^2 - 2c*Σg*prev + Σprev^2", () => {
    const random = mulberry32(8);
    const kernels = new A2SKernels([5000]);
    const t = kernels.tensors[0]!;
    t.grad.set(filled(random, 5000, 2));
    t.prev.set(filled(random, 5000, 1));
    const s = kernels.gradientStats(0);
    const c = Math.fround(0.3);
    const fromSums = c * c * s.sumSquares - 2 * c * s.gradPrev + s.prevSquares;
    const e = referenceStats(t.grad, t.prev, c);
    // Uncorrelated g and prev: the three terms do not cancel, so the sums' own error carries over (times 3 at most).
    expect(Math.abs(fromSums - e.diffSquares) / e.diffSquares).toBeLessThanOrEqual(3 * SUM_TOLERANCE);
  });

  it("keeps float32 rounding bounded on a long tensor of equal values, the worst case for one running sum", () => {
    const n = 1 << 20;
    const kernels = new A2SKernels([n]);
    kernels.tensors[0]!.grad.fill(0.1);
    const s = kernels.gradientStats(0);
    const e = referenceStats(kernels.tensors[0]!.grad, kernels.tensors[0]!.prev, 1);
    expect(Math.abs(s.sumSquares - e.sumSquares) / e.sumSquares).toBeLessThanOrEqual(SUM_TOLERANCE);
    expect(Math.abs(s.diffSquares - e.diffSquares) / e.diffSquares).toBeLessThanOrEqual(SUM_TOLERANCE);
  });

  it("changes nothing", () => {
    const kernels = new A2SKernels([13]);
    const random = mulberry32(5);
    const t = kernels.tensors[0]!;
    for (const name of ["param", "grad", "m", "v", "buf", "prev"] as const)
      t[name].set(filled(random, 13, 1));
    const before = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Array.from(v)]));
    kernels.gradientStats(0, 0.5);
    expect(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Array.from(v)]))).toEqual(before);
  });

  it("falls back to float64 squares where float32 squares overflow, on finite gradients", () => {
    // 1e20 is a finite float32, its square (1e40) is not.
    const kernels = new A2SKernels([9]);
    const t = kernels.tensors[0]!;
    t.grad.fill(1e20);
    t.prev.fill(-1e20);
    t.param.fill(2);
    const s = kernels.gradientStats(0, 1, true);
    const e = referenceFullStats(t.grad, t.prev, 1, t.param);
    expect(s.finite).toBe(true);
    expect(Number.isFinite(s.sumSquares)).toBe(true);
    // Float64 sums of float64 products of float32 values: a few roundings of 2^-53 each.
    for (const key of ["sumSquares", "diffSquares", "gradPrev", "prevSquares", "paramSquares"] as const) {
      expect(Math.abs((s[key] as number) - e[key]) / Math.abs(e[key]), key).toBeLessThanOrEqual(1e-15);
    }
  });

  it("falls back to float64 where the float32 square of prev overflows though g's does not", () => {
    const kernels = new A2SKernels([8]);
    const t = kernels.tensors[0]!;
    t.grad.fill(1e-30);
    t.prev.fill(3e19);
    const s = kernels.gradientStats(0, 1);
    const e = referenceFullStats(t.grad, t.prev, 1);
    expect(s.finite).toBe(true);
    expect(Math.abs(s.prevSquares - e.prevSquares) / e.prevSquares).toBeLessThanOrEqual(1e-15);
    expect(Math.abs(s.diffSquares - e.diffSquares) / e.diffSquares).toBeLessThanOrEqual(1e-15);
  });

  it("a zero-length tensor has zero sums", () => {
    const kernels = new A2SKernels([0, 3]);
    expect(kernels.gradientStats(0, 1, true)).toEqual({
      sumSquares: 0,
      diffSquares: 0,
      maxAbs: 0,
      finite: true,
      gradPrev: 0,
      prevSquares: 0,
      paramSquares: 0,
    });
    expect(kernels.tensors[0]!.param.length).toBe(0);
  });
});

describe("non-finite gradients", () => {
  // Length 13: elements 0-11 go through the vector loop, element 12 through the tail.
  const cases = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].flatMap((bad) =>
    [0, 5, 11, 12].map((at) => ({ bad, at })),
  );
  it.each(cases)("$bad at index $at: finite is false and firstNonFinite finds it", ({ bad, at }) => {
    const kernels = new A2SKernels([4, 13]);
    kernels.tensors[1]!.grad.fill(0.5);
    kernels.tensors[1]!.grad[at] = bad;
    expect(kernels.gradientStats(1).finite).toBe(false);
    expect(kernels.firstNonFinite(1)).toBe(at);
    expect(kernels.gradientStats(0).finite).toBe(true);
    expect(kernels.firstNonFinite(0)).toBe(-1);
  });

  it("firstNonFinite gives the first of several", () => {
    const kernels = new A2SKernels([20]);
    kernels.tensors[0]!.grad[17] = Number.NaN;
    kernels.tensors[0]!.grad[6] = Number.POSITIVE_INFINITY;
    expect(kernels.firstNonFinite(0)).toBe(6);
  });

  it("a clip factor does not hide them", () => {
    const kernels = new A2SKernels([8]);
    kernels.tensors[0]!.grad[3] = Number.POSITIVE_INFINITY;
    expect(kernels.gradientStats(0, 1e-3).finite).toBe(false);
  });
});

const SCALARS: A2SScalars = {
  clip: 1,
  beta1: 0.9,
  beta2: 0.999,
  momentum: 0.9,
  epsilon: 1e-8,
  biasCorrection1: 0.1,
  biasCorrection2: 0.001,
  w: 1,
  lrAdam: 1e-3,
  lrSgd: 1e-2,
  weightDecay: 0,
};

describe("bad input", () => {
  it.each([
    [[], "lengths must be a non-empty array of tensor lengths, got "],
    [[3, -1], "lengths[1] must be a whole number >= 0, got -1"],
    [[2.5], "lengths[0] must be a whole number >= 0, got 2.5"],
    [[Number.NaN], "lengths[0] must be a whole number >= 0, got NaN"],
    [
      [2 ** 28],
      `${2 ** 28} parameters need ${64 + 6 * 4 * 2 ** 28} bytes of kernel memory, more than a WebAssembly memory holds (4 GiB)`,
    ],
  ])("lengths %j: KernelInputError", (lengths, message) => {
    expect(() => new A2SKernels(lengths)).toThrow(new KernelInputError(message));
  });

  it("a tensor index out of range", () => {
    const kernels = new A2SKernels([2, 3]);
    for (const index of [2, -1, 0.5]) {
      expect(() => kernels.gradientStats(index)).toThrow(
        new KernelInputError(`tensor index must be a whole number in [0, 1], got ${index}`),
      );
      expect(() => kernels.update(index, SCALARS)).toThrow(KernelInputError);
      expect(() => kernels.firstNonFinite(index)).toThrow(KernelInputError);
    }
  });

  it.each([0, -0.5, 1.5, Number.NaN])("clip %s", (clip) => {
    const kernels = new A2SKernels([2]);
    expect(() => kernels.gradientStats(0, clip)).toThrow(
      new KernelInputError(`gradientStats.clip must be a finite number in (0, 1], got ${clip}`),
    );
  });

  it.each([
    ["biasCorrection2", 0, "(0, 1]"],
    ["biasCorrection1", 1.5, "(0, 1]"],
    ["beta1", 1, "[0, 1)"],
    ["w", -0.1, "[0, 1]"],
    ["epsilon", 0, "(0, Infinity)"],
    ["lrAdam", Number.NaN, "[0, Infinity)"],
    ["lrSgd", Number.POSITIVE_INFINITY, "[0, Infinity)"],
    ["weightDecay", -1, "[0, Infinity)"],
    ["clip", 0, "(0, 1]"],
  ] as const)("update with %s = %s: KernelInputError, nothing changed", (key, value, interval) => {
    const kernels = new A2SKernels([5]);
    const t = kernels.tensors[0]!;
    t.grad.fill(0.25);
    t.param.fill(1);
    const before = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Array.from(v)]));
    expect(() => kernels.update(0, { ...SCALARS, [key]: value })).toThrow(
      new KernelInputError(`A2SScalars.${key} must be a finite number in ${interval}, got ${value}`),
    );
    expect(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Array.from(v)]))).toEqual(before);
  });

  it("a scalar that is missing", () => {
    const kernels = new A2SKernels([5]);
    const { momentum: _, ...rest } = SCALARS;
    expect(() => kernels.update(0, rest as A2SScalars)).toThrow(
      new KernelInputError("A2SScalars.momentum must be a finite number in [0, 1], got undefined"),
    );
  });
});

describe("memory", () => {
  it("each tensor's arrays are separate views of one memory, aligned for vector loads", () => {
    const kernels = new A2SKernels([3, 1, 17]);
    const views = kernels.tensors.flatMap((t) => Object.values(t));
    expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
    for (const v of views) expect(v.byteOffset % 16).toBe(0);
    const sorted = [...views].sort((a, b) => a.byteOffset - b.byteOffset);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]!.byteOffset).toBeGreaterThanOrEqual(
        sorted[i - 1]!.byteOffset + sorted[i - 1]!.byteLength,
      );
    expect(kernels.tensors.map((t) => t.param.length)).toEqual([3, 1, 17]);
  });
});
