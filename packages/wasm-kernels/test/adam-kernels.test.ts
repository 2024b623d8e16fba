import { relativeError, TOLERANCE } from "@a2s/conformance";
import { describe, expect, it } from "vitest";
import { AdamKernels, type AdamScalars, KernelInputError } from "../src/index.js";
import { type A2SConfig, adamStep, Problem, ReferenceAdam, referenceStats, slotError } from "./reference.js";

const LENGTHS = [1, 5, 7, 8, 13, 1027];
const STEPS = 60;

describe("AdamKernels against the float64 reference", () => {
  it.each([
    0, 0.01,
  ])("weight decay %s: 60 steps within the conformance suite's float32 tolerance", (weightDecay) => {
    const config: A2SConfig = {
      clip: 1,
      w: 1,
      weightDecay,
      lrAdam: 0.01,
      lrSgd: 0,
      beta1: 0.9,
      beta2: 0.999,
      momentum: 0,
      epsilon: 1e-8,
      curvatureK: 0,
    };
    const problem = new Problem(LENGTHS, STEPS, 11);
    const kernels = new AdamKernels(LENGTHS);
    const reference = new ReferenceAdam(LENGTHS);
    LENGTHS.forEach((_, i) => {
      kernels.tensors[i]!.param.set(problem.start[i]!);
      reference.tensors[i]!.param.set(problem.start[i]!);
    });
    for (let t = 1; t <= STEPS; t++) {
      adamStep(kernels, problem, t, config);
      adamStep(reference, problem, t, config);
      for (const [i, tensor] of reference.tensors.entries()) {
        expect(
          relativeError(kernels.tensors[i]!.param, tensor.param),
          `param of tensor ${i} after step ${t}`,
        ).toBeLessThanOrEqual(TOLERANCE.float32);
      }
      for (const name of ["m", "v"] as const) {
        const error = slotError(
          kernels.tensors.map((k) => k[name]),
          reference.tensors.map((r) => r[name]),
        );
        expect(error, `${name} after step ${t}`).toBeLessThanOrEqual(TOLERANCE.float32);
      }
    }
    expect(relativeError(reference.tensors[5]!.param, problem.start[5]!)).toBeGreaterThan(0.1);
  });
});

describe("AdamKernels.gradientStats", () => {
  it("gives the sum of squares, max |g| and finiteness", () => {
    const kernels = new AdamKernels([6]);
    kernels.tensors[0]!.grad.set([1, -2, 3, 0.5, -0.25, 4]);
    const e = referenceStats(kernels.tensors[0]!.grad, new Float32Array(6), 1);
    expect(kernels.gradientStats(0)).toEqual({ sumSquares: e.sumSquares, maxAbs: 4, finite: true });
    kernels.tensors[0]!.grad[5] = Number.NaN;
    expect(kernels.gradientStats(0).finite).toBe(false);
    expect(kernels.firstNonFinite(0)).toBe(5);
  });
});

describe("bad input", () => {
  const scalars: AdamScalars = {
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    biasCorrection1: 0.1,
    biasCorrection2: 0.001,
    learningRate: 1e-3,
    weightDecay: 0,
  };
  it.each([
    ["learningRate", -1, "[0, Infinity)"],
    ["beta2", 1, "[0, 1)"],
    ["biasCorrection2", 0, "(0, 1]"],
  ] as const)("update with %s = %s: KernelInputError, nothing changed", (key, value, interval) => {
    const kernels = new AdamKernels([3]);
    kernels.tensors[0]!.grad.fill(1);
    kernels.tensors[0]!.param.fill(2);
    expect(() => kernels.update(0, { ...scalars, [key]: value })).toThrow(
      new KernelInputError(`AdamScalars.${key} must be a finite number in ${interval}, got ${value}`),
    );
    expect(Array.from(kernels.tensors[0]!.param)).toEqual([2, 2, 2]);
    expect(Array.from(kernels.tensors[0]!.m)).toEqual([0, 0, 0]);
  });
});
