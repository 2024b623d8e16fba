import { relativeError, TOLERANCE } from "@a2s/conformance";
import { describe, expect, it } from "vitest";
import {
  AdamKernels,
  type AdamScalars,
  KernelInputError,
  RMSPropKernels,
  type RMSPropScalars,
  SGDMomentumKernels,
  type SGDMomentumScalars,
} from "../src/index.js";
import {
  baselineStep,
  Problem,
  ReferenceAdam,
  ReferenceRMSProp,
  ReferenceSGDMomentum,
  referenceStats,
  slotError,
} from "./reference.js";

const LENGTHS = [1, 5, 7, 8, 13, 1027];
const STEPS = 60;

interface Arrays<S, A> {
  readonly tensors: readonly ({ readonly param: A; readonly grad: A } & Readonly<Record<string, A>>)[];
  update(index: number, scalars: S): void;
}
type Kernels<S> = Arrays<S, Float32Array>;
type Reference<S> = Arrays<S, Float64Array>;

interface Baseline<S> {
  name: string;
  kernels: (lengths: readonly number[]) => Kernels<S>;
  reference: (lengths: readonly number[]) => Reference<S>;
  slots: readonly string[];
  scalars: (t: number, clip: number, weightDecay: number) => S;
}

const adam: Baseline<AdamScalars> = {
  name: "AdamKernels",
  kernels: (lengths) => new AdamKernels(lengths),
  reference: (lengths) => new ReferenceAdam(lengths),
  slots: ["m", "v"],
  scalars: (t, clip, weightDecay) => ({
    clip,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    biasCorrection1: 1 - 0.9 ** t,
    biasCorrection2: 1 - 0.999 ** t,
    learningRate: 0.01,
    weightDecay,
  }),
};

const rmsprop: Baseline<RMSPropScalars> = {
  name: "RMSPropKernels",
  kernels: (lengths) => new RMSPropKernels(lengths),
  reference: (lengths) => new ReferenceRMSProp(lengths),
  slots: ["v"],
  scalars: (_, clip, weightDecay) => ({ clip, decay: 0.9, epsilon: 1e-8, learningRate: 0.01, weightDecay }),
};

const sgdMomentum: Baseline<SGDMomentumScalars> = {
  name: "SGDMomentumKernels",
  kernels: (lengths) => new SGDMomentumKernels(lengths),
  reference: (lengths) => new ReferenceSGDMomentum(lengths),
  slots: ["buf"],
  scalars: (_, clip, weightDecay) => ({ clip, momentum: 0.9, learningRate: 0.02, weightDecay }),
};

const BASELINES = [adam, rmsprop, sgdMomentum] as Baseline<unknown>[];

describe.each(
  BASELINES.map((b) => [b.name, b] as const),
)("%s against the float64 reference", (_, baseline) => {
  const cases = [1, 0.3].flatMap((clip) => [0, 0.01].map((weightDecay) => ({ clip, weightDecay })));
  it.each(
    cases,
  )("clip $clip, weight decay $weightDecay: 60 steps within the conformance suite's float32 tolerance", ({
    clip,
    weightDecay,
  }) => {
    const problem = new Problem(LENGTHS, STEPS, 11);
    const kernels = baseline.kernels(LENGTHS);
    const reference = baseline.reference(LENGTHS);
    LENGTHS.forEach((_, i) => {
      kernels.tensors[i]!.param.set(problem.start[i]!);
      reference.tensors[i]!.param.set(problem.start[i]!);
    });
    for (let t = 1; t <= STEPS; t++) {
      baselineStep(kernels, problem, t, baseline.scalars(t, clip, weightDecay));
      baselineStep(reference, problem, t, baseline.scalars(t, clip, weightDecay));
      for (const [i, tensor] of reference.tensors.entries()) {
        expect(
          relativeError(kernels.tensors[i]!.param, tensor.param),
          `param of tensor ${i} after step ${t}`,
        ).toBeLessThanOrEqual(TOLERANCE.float32);
      }
      for (const name of baseline.slots) {
        const error = slotError(
          kernels.tensors.map((k) => k[name]!),
          reference.tensors.map((r) => r[name]!),
        );
        expect(error, `${name} after step ${t}`).toBeLessThanOrEqual(TOLERANCE.float32);
      }
    }
    // The trajectory moved: a kernel that did nothing would not pass the comparison above.
    expect(relativeError(reference.tensors[5]!.param, problem.start[5]!)).toBeGreaterThan(0.1);
  });
});

describe("gradientStats and paramStats of the baselines", () => {
  it.each([
    ["AdamKernels", (n: number) => new AdamKernels([n])],
    ["RMSPropKernels", (n: number) => new RMSPropKernels([n])],
    ["SGDMomentumKernels", (n: number) => new SGDMomentumKernels([n])],
  ] as const)("%s: the sum of squares, max |x| and finiteness of the gradient and of the parameters", (_, make) => {
    const kernels = make(6);
    const t = kernels.tensors[0]!;
    t.grad.set([1, -2, 3, 0.5, -0.25, 4]);
    t.param.set([0.5, 0.5, -6, 1, 0, 2]);
    const g = referenceStats(t.grad, new Float32Array(6), 1);
    const p = referenceStats(t.param, new Float32Array(6), 1);
    expect(kernels.gradientStats(0)).toEqual({ sumSquares: g.sumSquares, maxAbs: 4, finite: true });
    expect(kernels.paramStats(0)).toEqual({ sumSquares: p.sumSquares, maxAbs: 6, finite: true });
    // Σp² from the gradient's own pass, when asked for.
    expect(kernels.gradientStats(0, true)).toEqual({
      sumSquares: g.sumSquares,
      maxAbs: 4,
      finite: true,
      paramSquares: p.sumSquares,
    });
    t.grad[5] = Number.NaN;
    t.param[2] = Number.NEGATIVE_INFINITY;
    expect(kernels.gradientStats(0).finite).toBe(false);
    expect(kernels.firstNonFinite(0)).toBe(5);
    expect(kernels.paramStats(0).finite).toBe(false);
  });
});

describe("bad input", () => {
  const adamScalars = adam.scalars(1, 1, 0);
  it.each([
    ["learningRate", -1, "[0, Infinity)"],
    ["beta2", 1, "[0, 1)"],
    ["biasCorrection2", 0, "(0, 1]"],
    ["clip", 0, "(0, 1]"],
  ] as const)("AdamKernels update with %s = %s: KernelInputError, nothing changed", (key, value, interval) => {
    const kernels = new AdamKernels([3]);
    kernels.tensors[0]!.grad.fill(1);
    kernels.tensors[0]!.param.fill(2);
    expect(() => kernels.update(0, { ...adamScalars, [key]: value })).toThrow(
      new KernelInputError(`AdamScalars.${key} must be a finite number in ${interval}, got ${value}`),
    );
    expect(Array.from(kernels.tensors[0]!.param)).toEqual([2, 2, 2]);
    expect(Array.from(kernels.tensors[0]!.m)).toEqual([0, 0, 0]);
  });

  it.each([
    ["decay", 1, "[0, 1)"],
    ["epsilon", 0, "(0, Infinity)"],
    ["clip", 1.5, "(0, 1]"],
  ] as const)("RMSPropKernels update with %s = %s: KernelInputError, nothing changed", (key, value, interval) => {
    const kernels = new RMSPropKernels([3]);
    kernels.tensors[0]!.grad.fill(1);
    kernels.tensors[0]!.param.fill(2);
    expect(() => kernels.update(0, { ...rmsprop.scalars(1, 1, 0), [key]: value })).toThrow(
      new KernelInputError(`RMSPropScalars.${key} must be a finite number in ${interval}, got ${value}`),
    );
    expect(Array.from(kernels.tensors[0]!.param)).toEqual([2, 2, 2]);
    expect(Array.from(kernels.tensors[0]!.v)).toEqual([0, 0, 0]);
  });

  it.each([
    ["momentum", 1.5, "[0, 1]"],
    ["weightDecay", Number.NaN, "[0, Infinity)"],
  ] as const)("SGDMomentumKernels update with %s = %s: KernelInputError, nothing changed", (key, value, interval) => {
    const kernels = new SGDMomentumKernels([3]);
    kernels.tensors[0]!.grad.fill(1);
    kernels.tensors[0]!.param.fill(2);
    expect(() => kernels.update(0, { ...sgdMomentum.scalars(1, 1, 0), [key]: value })).toThrow(
      new KernelInputError(`SGDMomentumScalars.${key} must be a finite number in ${interval}, got ${value}`),
    );
    expect(Array.from(kernels.tensors[0]!.param)).toEqual([2, 2, 2]);
    expect(Array.from(kernels.tensors[0]!.buf)).toEqual([0, 0, 0]);
  });
});
