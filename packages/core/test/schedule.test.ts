import { describe, expect, test } from "vitest";
import { a2sSchedule, blendWeight, resolveA2SOptions } from "../src/index.js";

describe("blendWeight", () => {
  test("is 1 up to switchIter, 0 from switchIter + blendIters, linear between", () => {
    expect(blendWeight(1, 10, 4)).toBe(1);
    expect(blendWeight(10, 10, 4)).toBe(1);
    expect(blendWeight(11, 10, 4)).toBe(0.75);
    expect(blendWeight(12, 10, 4)).toBe(0.5);
    expect(blendWeight(13, 10, 4)).toBe(0.25);
    expect(blendWeight(14, 10, 4)).toBe(0);
    expect(blendWeight(1000, 10, 4)).toBe(0);
  });
  test("switchIter 0 and blendIters 1 is pure SGD from the first step", () => {
    expect(blendWeight(1, 0, 1)).toBe(0);
  });
});

describe("a2sSchedule", () => {
  test("bias corrections use t from 1", () => {
    const s = a2sSchedule(1, resolveA2SOptions());
    expect(s.biasCorrection1).toBeCloseTo(0.1, 15);
    expect(s.biasCorrection2).toBeCloseTo(0.001, 15);
    expect(s.oneMinusW).toBe(0);
  });
});
