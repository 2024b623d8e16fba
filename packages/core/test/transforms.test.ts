/**
 * Core's transforms and algorithms, one step at a time, against numbers worked out by
 * hand from the formulas (the conformance suite runs whole trajectories in every adapter).
 */
import { describe, expect, test } from "vitest";
import {
  type Algorithm,
  a2s,
  adam,
  chain,
  constantSchedule,
  defineAlgorithm,
  rmsprop,
  runStep,
  scaleByLearningRate,
  sgdMomentum,
  type Transform,
} from "../src/index.js";
import { type A, ops } from "./float64-backend.js";

/** Runs `steps` steps of `algorithm` on one tensor `x`; returns the parameters and last published values. */
function run(algorithm: Algorithm, grads: number[][], start: number[]) {
  let params: A[] = [Float64Array.from(start)];
  let slots: Record<string, A>[] = [
    Object.fromEntries(algorithm.slots.map(([slot]) => [slot, new Float64Array(start.length)])),
  ];
  let scalars: Record<string, A> = Object.fromEntries(
    algorithm.scalars.map(([name, spec]) => [name, Float64Array.of(spec.initial)]),
  );
  let published = new Map<string, A>();
  grads.forEach((g, k) => {
    const result = runStep({
      ops,
      algorithm,
      tensors: [{ name: "x", shape: [start.length], size: start.length, group: 0 }],
      t: k + 1,
      params,
      grads: [Float64Array.from(g)],
      state: { slots, scalars },
      like: params[0] as A,
      reduce: (partials) => partials.map((list) => list.reduce((a, b) => ops.add(a, b))),
    });
    params = result.params;
    slots = result.slots;
    scalars = result.scalars;
    published = new Map(result.published);
  });
  return {
    params: Array.from(params[0] as A),
    published: Object.fromEntries([...published].map(([k, v]) => [k, v[0]])),
  };
}

describe("the algorithms, one step by hand", () => {
  test("Adam: p − lr·m̂/(√v̂ + ε); at step 1, m̂ = g and v̂ = g²", () => {
    const { params } = run(adam({ learningRate: 0.1, epsilon: 1e-8 }), [[2]], [1]);
    expect(params[0]).toBeCloseTo(1 - (0.1 * 2) / (2 + 1e-8), 15);
  });

  test("AdamW: the decay multiplies the learning rate and the parameter before the step", () => {
    const { params } = run(adam({ learningRate: 0.1, weightDecay: 0.5 }), [[0]], [2]);
    // m = v = 0: the Adam step is 0; the decay is 0.1 · 0.5 · 2.
    expect(params[0]).toBeCloseTo(1.9, 15);
  });

  test("RMSProp: v = (1 − d)·g², p − lr·g/(√v + ε)", () => {
    const { params } = run(rmsprop({ learningRate: 0.1, decay: 0.75, epsilon: 1e-8 }), [[2]], [1]);
    expect(params[0]).toBeCloseTo(1 - (0.1 * 2) / (Math.sqrt(0.25 * 4) + 1e-8), 15);
  });

  test("SGD with momentum in the seed's form: buf = momentum·buf + g", () => {
    const { params } = run(sgdMomentum({ learningRate: 0.1, momentum: 0.5 }), [[1], [1]], [0]);
    // buf 1 then 1.5: p = −0.1 − 0.15.
    expect(params[0]).toBeCloseTo(-0.25, 15);
  });

  test("A2S: curvature from the gradient change, both rates scaled, w on the seed's ramp", () => {
    const { params, published } = run(
      a2s({ switchIter: 1, blendIters: 2, curvatureK: 0.5, lrSgd: 0.1 }),
      [[2], [5]],
      [0],
    );
    expect(published).toMatchObject({ w: 0.5, curvature: 3, lrScale: 0.4, clipFactor: 1 });
    expect(published.lrSgd).toBeCloseTo(0.04, 15);
    // Step 1 (w = 1): −0.001·2/(2 + ε). Step 2: m = 0.9·0.2 + 0.1·5, v = 0.999·0.004 + 0.001·25, buf = 0.9·2 + 5.
    const step1 = (0.001 * 2) / (2 + 1e-8);
    const mHat = 0.68 / (1 - 0.81);
    const vHat = 0.028996 / (1 - 0.999 ** 2);
    const adamStep = (0.001 * 0.4 * mHat) / (Math.sqrt(vHat) + 1e-8);
    expect(params[0]).toBeCloseTo(-step1 - (0.5 * adamStep + 0.5 * 0.04 * 6.8), 14);
  });

  test("A2S with clipping: the clipped gradient is what the moments and the stored gradient see", () => {
    const clipped = run(a2s({ clipNorm: 1, curvatureK: 0.5 }), [[3], [4]], [0]);
    const byHand = run(a2s({ curvatureK: 0.5 }), [[1], [1]], [0]);
    expect(clipped.params).toEqual(byHand.params);
    expect(clipped.published).toMatchObject({ clipFactor: 0.25, gradientNorm: 4, curvature: 0 });
  });

  test("A2S's weight decay: weightDecay·(w·lrAdamEff + (1 − w)·lrSgdEff)·p", () => {
    const { params } = run(
      a2s({ switchIter: 0, blendIters: 2, weightDecay: 0.5, lrSgd: 0.1, lrAdam: 0.3 }),
      [[0]],
      [2],
    );
    // Zero gradient: only the decay moves p; w = 0.5 at step 1.
    expect(params[0]).toBeCloseTo(2 - 0.5 * (0.5 * 0.3 + 0.5 * 0.1) * 2, 15);
  });

  test("a schedule's value at t is the rate of step t", () => {
    const scheduled = run(a2s({ lrAdam: constantSchedule(0.003), switchIter: 5 }), [[1]], [0]);
    expect(scheduled.published.lrAdam).toBe(0.003);
  });
});

describe("composition", () => {
  test("chain refuses two transforms that claim one slot name", () => {
    const a: Transform = { name: "a", slots: { s: "real" }, update: (_, updates) => ({ updates }) };
    expect(() => chain(a, a)).toThrow(
      expect.objectContaining({ name: "InvalidCallError", operation: "chain" }),
    );
  });

  test("an algorithm of one's own: per-optimizer scalars advance, options are read by name", () => {
    const counter: Transform = {
      name: "counter",
      scalars: { seen: { initial: 0, rule: "count" } },
      update(io, updates, state) {
        const seen = io.ops.add(state.scalars.seen as (typeof updates)[number], io.constant(1));
        io.publish("seen", seen);
        return { updates, scalars: { seen } };
      },
    };
    const counted = defineAlgorithm({
      name: "Counted",
      options: { learningRate: { default: 0.5, rule: "nonNegative", scope: "group" } },
      build: () => chain(counter, scaleByLearningRate("learningRate")),
    });
    const { params, published } = run(counted(), [[1], [1], [1]], [0]);
    expect(published.seen).toBe(3);
    expect(params[0]).toBe(-1.5);
  });
});
