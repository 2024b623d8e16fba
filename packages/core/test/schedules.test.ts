import { describe, expect, test } from "vitest";
import {
  constantSchedule,
  cosineDecaySchedule,
  evaluateSchedule,
  exponentialDecay,
  InvalidOptionError,
  joinSchedules,
  linearSchedule,
  reviveSchedule,
  warmupCosineDecaySchedule,
} from "../src/index.js";

describe("schedules (optax's formulas at count t)", () => {
  test("linearSchedule: the seed's ramp, and a step when transitionSteps is 0", () => {
    const ramp = linearSchedule({ initValue: 1, endValue: 0, transitionSteps: 4, transitionBegin: 10 });
    expect([9, 10, 11, 12, 13, 14, 15].map((t) => evaluateSchedule(ramp, t))).toEqual([
      1, 1, 0.75, 0.5, 0.25, 0, 0,
    ]);
    const step = linearSchedule({ initValue: 1, endValue: 0, transitionSteps: 0, transitionBegin: 3 });
    expect([3, 4].map((t) => evaluateSchedule(step, t))).toEqual([1, 0]);
    const never = linearSchedule({
      initValue: 1,
      endValue: 0,
      transitionSteps: 5,
      transitionBegin: Number.POSITIVE_INFINITY,
    });
    expect(evaluateSchedule(never, 1e9)).toBe(1);
  });

  test("cosineDecaySchedule: half way is the mean of init and alpha·init; it stays at alpha·init after", () => {
    const s = cosineDecaySchedule({ initValue: 2, decaySteps: 10, alpha: 0.5 });
    expect(evaluateSchedule(s, 5)).toBeCloseTo(1.5, 15);
    expect(evaluateSchedule(s, 10)).toBeCloseTo(1, 15);
    expect(evaluateSchedule(s, 100)).toBeCloseTo(1, 15);
  });

  test("exponentialDecay: constant until the begin, staircase floors the exponent, endValue bounds it", () => {
    const smooth = exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate: 0.5, transitionBegin: 4 });
    expect(evaluateSchedule(smooth, 4)).toBe(1);
    expect(evaluateSchedule(smooth, 5)).toBeCloseTo(0.5 ** 0.5, 15);
    const stairs = exponentialDecay({ initValue: 1, transitionSteps: 2, decayRate: 0.5, staircase: true });
    expect([1, 2, 3, 4].map((t) => evaluateSchedule(stairs, t))).toEqual([1, 0.5, 0.5, 0.25]);
    const floored = exponentialDecay({ initValue: 1, transitionSteps: 1, decayRate: 0.1, endValue: 0.05 });
    expect(evaluateSchedule(floored, 5)).toBe(0.05);
    const ceiling = exponentialDecay({ initValue: 1, transitionSteps: 1, decayRate: 2, endValue: 3 });
    expect(evaluateSchedule(ceiling, 5)).toBe(3);
  });

  test("warmupCosineDecaySchedule: linear to the peak, then cosine to the end", () => {
    const s = warmupCosineDecaySchedule({
      initValue: 0,
      peakValue: 1,
      warmupSteps: 4,
      decaySteps: 12,
      endValue: 0.2,
    });
    expect(evaluateSchedule(s, 2)).toBe(0.5);
    expect(evaluateSchedule(s, 4)).toBe(1);
    expect(evaluateSchedule(s, 8)).toBeCloseTo(0.6, 15);
    expect(evaluateSchedule(s, 12)).toBeCloseTo(0.2, 15);
  });

  test("joinSchedules: past a boundary the next schedule runs at t - boundary", () => {
    const s = joinSchedules(
      [constantSchedule(3), linearSchedule({ initValue: 1, endValue: 0, transitionSteps: 4 })],
      [5],
    );
    expect([4, 5, 7, 9].map((t) => evaluateSchedule(s, t))).toEqual([3, 1, 0.5, 0]);
  });

  test("schedules are plain frozen data that survive JSON", () => {
    const s = joinSchedules([cosineDecaySchedule({ initValue: 1, decaySteps: 3 })], []);
    expect(Object.isFrozen(s)).toBe(true);
    expect(reviveSchedule(JSON.parse(JSON.stringify(s)), "lr")).toEqual(s);
  });

  const refusals: [string, () => unknown, string, unknown][] = [
    [
      "cosine decaySteps 0",
      () => cosineDecaySchedule({ initValue: 1, decaySteps: 0 }),
      "cosineDecaySchedule.decaySteps",
      0,
    ],
    [
      "linear steps -1",
      () => linearSchedule({ initValue: 1, endValue: 0, transitionSteps: -1 }),
      "linearSchedule.transitionSteps",
      -1,
    ],
    [
      "exponential rate 0",
      () => exponentialDecay({ initValue: 1, transitionSteps: 1, decayRate: 0 }),
      "exponentialDecay.decayRate",
      0,
    ],
    [
      "warmup longer than the decay",
      () => warmupCosineDecaySchedule({ initValue: 0, peakValue: 1, warmupSteps: 5, decaySteps: 5 }),
      "warmupCosineDecaySchedule.decaySteps",
      5,
    ],
    [
      "join boundaries not increasing",
      () => joinSchedules([constantSchedule(1), constantSchedule(2), constantSchedule(3)], [5, 5]),
      "joinSchedules.boundaries[1]",
      5,
    ],
    ["an unknown field", () => reviveSchedule({ type: "constant", value: 1, extra: 2 }, "lr"), "lr.extra", 2],
    ["NaN", () => constantSchedule(Number.NaN), "constantSchedule.value", Number.NaN],
  ];
  test.each(refusals)("refuses %s with InvalidOptionError naming the field", (_what, make, option, value) => {
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(expect.objectContaining({ option }));
    try {
      make();
    } catch (error) {
      expect(Object.is((error as InvalidOptionError).value, value)).toBe(true);
    }
  });
});
