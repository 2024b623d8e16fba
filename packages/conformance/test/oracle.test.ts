import { describe, expect, test } from "vitest";
import {
  NoisyQuadratic,
  OracleA2S,
  OracleBaseline,
  oracleBlendWeight,
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
    expect(oracle.step(p, { x: [2] })).toEqual({ t: 1, w: 0.5, curvature: 0, lrScale: 1 });
    // m = 0.2, v = 0.004: mHat = 2, vHat = 4; buf = 2.
    expect(p.x[0]).toBeCloseTo(1 - 0.5 * ((0.001 * 2) / (2 + 1e-8)) - 0.5 * 0.01 * 2, 15);
    expect(oracle.step(p, { x: [5] })).toEqual({ t: 2, w: 0, curvature: 3, lrScale: 0.4 });
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
