import { describe, expect, test } from "vitest";
import {
  NoisyQuadratic,
  OracleA2S,
  OracleBaseline,
  oracleBlendWeight,
  oracleSchedule,
  relativeError,
  worstRelativeError,
} from "../src/index.js";

describe("oracle", () => {
  test("blend weight: 1 through switchIter, linear, 0 from switchIter + blendIters", () => {
    expect([3, 4, 5, 6, 7, 8].map((t) => oracleBlendWeight(t, 4, 4))).toEqual([1, 1, 0.75, 0.5, 0.25, 0]);
    expect(oracleBlendWeight(1, 0, 1)).toBe(0);
  });

  test("one A2S step by hand: curvature 0, then the norm of the gradient difference", () => {
    const oracle = new OracleA2S({ switchIter: 0, blendIters: 2, curvatureK: 0.5 });
    const p = { x: [1] };
    expect(oracle.step(p, { x: [2] })).toMatchObject({
      t: 1,
      w: 0.5,
      curvature: 0,
      lrScale: 1,
      clipFactor: 1,
    });
    // m = 0.2, v = 0.004: mHat = 2, vHat = 4; buf = 2.
    expect(p.x[0]).toBeCloseTo(1 - 0.5 * ((0.001 * 2) / (2 + 1e-8)) - 0.5 * 0.01 * 2, 15);
    expect(oracle.step(p, { x: [5] })).toMatchObject({ t: 2, w: 0, curvature: 3, lrScale: 0.4 });
  });

  test("with w = 1 and curvatureK 0 A2S is Adam; with w = 0 it is SGD with momentum", () => {
    const problem = new NoisyQuadratic(3);
    const start = () =>
      Object.fromEntries(Object.entries(problem.initialParams()).map(([k, v]) => [k, Array.from(v.data)]));
    const pairs: [OracleA2S, OracleBaseline][] = [
      [new OracleA2S({ switchIter: 100, curvatureK: 0 }), new OracleBaseline("Adam", {})],
      [new OracleA2S({ switchIter: 0, blendIters: 1, curvatureK: 0 }), new OracleBaseline("SGDMomentum", {})],
    ];
    for (const [a2s, baseline] of pairs) {
      const a = start();
      const b = start();
      for (let step = 1; step <= 10; step++) {
        const grads = Object.fromEntries(
          Object.entries(problem.gradient(a, step)).map(([k, v]) => [k, Array.from(v)]),
        );
        a2s.step(a, grads);
        baseline.step(b, grads);
      }
      // w*adam + (1-w)*sgd with w exactly 1 or 0 adds an exact zero: bit for bit.
      expect(a).toEqual(b);
    }
  });
});

describe("oracle features, by hand", () => {
  test("clipping: a norm above clipNorm is scaled to it before anything sees the gradient", () => {
    // g = (3, 4): norm 5 > 2.5, so g becomes (1.5, 2); SGD from zero buffer, lr 0.1, w = 0.
    const oracle = new OracleA2S({ switchIter: 0, blendIters: 0, clipNorm: 2.5, lrSgd: 0.1, curvatureK: 0 });
    const p = { a: [0], b: [0] };
    expect(oracle.step(p, { a: [3], b: [4] }).clipFactor).toBe(0.5);
    expect(p.a[0]).toBeCloseTo(-0.15, 15);
    expect(p.b[0]).toBeCloseTo(-0.2, 15);
    // Below the threshold nothing changes: the stored previous gradient is the clipped one.
    expect(oracle.step(p, { a: [1.5], b: [2] }).clipFactor).toBe(1);
    expect(oracle.prev).toEqual({ a: [1.5], b: [2] });
  });

  test("weight decay multiplies the blended rate and the parameter before the step", () => {
    const oracle = new OracleA2S({
      switchIter: 0,
      blendIters: 0,
      lrSgd: 0.1,
      weightDecay: 0.5,
      curvatureK: 0,
    });
    const p = { x: [2] };
    oracle.step(p, { x: [0] });
    // sgd step 0 (zero gradient), decay 0.5 * 0.1 * 2 = 0.1.
    expect(p.x[0]).toBeCloseTo(1.9, 15);
  });

  test("schedules follow optax's formulas at count t", () => {
    expect(oracleSchedule({ type: "cosineDecay", initValue: 2, decaySteps: 4, alpha: 0 }, 2)).toBeCloseTo(
      1,
      15,
    );
    expect(oracleSchedule({ type: "cosineDecay", initValue: 2, decaySteps: 4, alpha: 0.5 }, 9)).toBeCloseTo(
      1,
      15,
    );
    expect(
      oracleSchedule({ type: "exponentialDecay", initValue: 1, transitionSteps: 2, decayRate: 0.5 }, 3),
    ).toBeCloseTo(2 ** -1.5, 15);
    expect(
      oracleSchedule(
        { type: "exponentialDecay", initValue: 1, transitionSteps: 2, decayRate: 0.5, staircase: true },
        3,
      ),
    ).toBe(0.5);
    expect(
      oracleSchedule(
        { type: "exponentialDecay", initValue: 1, transitionSteps: 1, decayRate: 0.5, endValue: 0.2 },
        10,
      ),
    ).toBe(0.2);
    const warm = {
      type: "warmupCosineDecay",
      initValue: 0,
      peakValue: 1,
      warmupSteps: 4,
      decaySteps: 8,
      endValue: 0,
    };
    expect(oracleSchedule(warm, 2)).toBe(0.5);
    expect(oracleSchedule(warm, 4)).toBe(1);
    expect(oracleSchedule(warm, 6)).toBeCloseTo(0.5, 15);
    const join = {
      type: "join",
      schedules: [
        { type: "constant", value: 3 },
        { type: "linear", initValue: 1, endValue: 0, transitionSteps: 4 },
      ],
      boundaries: [5],
    };
    expect(oracleSchedule(join, 4)).toBe(3);
    expect(oracleSchedule(join, 7)).toBe(0.5);
    expect(
      oracleSchedule(
        { type: "linear", initValue: 1, endValue: 0, transitionSteps: 0, transitionBegin: 3 },
        3,
      ),
    ).toBe(1);
    expect(
      oracleSchedule(
        { type: "linear", initValue: 1, endValue: 0, transitionSteps: 0, transitionBegin: 3 },
        4,
      ),
    ).toBe(0);
  });

  test("groups: the first group that takes a tensor gives it its options", () => {
    const oracle = new OracleBaseline("SGDMomentum", {
      learningRate: 0.1,
      momentum: 0,
      groups: [
        { tensors: /^a/, learningRate: 0.2 },
        { tensors: ["ab"], learningRate: 0.3 },
      ],
    });
    const p = { ab: [0], b: [0] };
    oracle.step(p, { ab: [1], b: [1] });
    expect(p).toEqual({ ab: [-0.2], b: [-0.1] });
  });
});

describe("measures", () => {
  test("relative error is normwise and counts NaN as a failure", () => {
    expect(relativeError([1, 2, 4.004], [1, 2, 4])).toBeCloseTo(0.001, 12);
    expect(relativeError([Number.NaN, 1], [1, 1])).toBeNaN();
    expect(worstRelativeError({ a: [Number.NaN] }, { a: [1] }) <= 1e-5).toBe(false);
    expect(worstRelativeError({}, { a: [1] })).toBe(Number.POSITIVE_INFINITY);
  });

  test("the problem is deterministic per seed and its gradients depend on the parameters", () => {
    const a = new NoisyQuadratic(5);
    const b = new NoisyQuadratic(5);
    const p = Object.fromEntries(Object.entries(a.initialParams()).map(([k, v]) => [k, v.data]));
    expect(a.gradient(p, 3)).toEqual(b.gradient(p, 3));
    const moved = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.map((x) => x + 1)]));
    expect(a.gradient(moved, 3)).not.toEqual(a.gradient(p, 3));
    expect(a.initialParams().s?.data.length).toBe(1);
  });
});
