import { describe, expect, test } from "vitest";
import { A2S_DEFAULTS, InvalidOptionError, resolveA2SOptions } from "../src/index.js";

describe("resolveA2SOptions", () => {
  test("gives the seed's defaults", () => {
    expect(resolveA2SOptions()).toEqual({
      lrAdam: 0.001,
      lrSgd: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      momentum: 0.9,
      curvatureK: 0.05,
      switchIter: 1500,
      blendIters: 3000,
      epsilon: 1e-8,
      windowSize: 10,
    });
    expect(A2S_DEFAULTS.switchIter).toBe(1500);
  });

  test("overlays what is given", () => {
    expect(resolveA2SOptions({ switchIter: 0, blendIters: 1 })).toMatchObject({
      switchIter: 0,
      blendIters: 1,
    });
  });

  const bad: [string, unknown][] = [
    ["lrAdam", 0],
    ["lrAdam", Number.NaN],
    ["lrSgd", -1],
    ["lrSgd", Number.POSITIVE_INFINITY],
    ["beta1", 1],
    ["beta2", -0.1],
    ["momentum", 1],
    ["epsilon", 0],
    ["curvatureK", -0.01],
    ["curvatureK", Number.POSITIVE_INFINITY],
    ["switchIter", 1.5],
    ["switchIter", -1],
    ["blendIters", 0],
    ["windowSize", 0],
    ["lrAdam", "0.1"],
    ["lr", 0.1],
  ];
  test.each(bad)("refuses %s = %s, naming option and value", (option, value) => {
    const attempt = () => resolveA2SOptions({ [option]: value } as never);
    expect(attempt).toThrow(InvalidOptionError);
    try {
      attempt();
    } catch (error) {
      expect((error as InvalidOptionError).option).toBe(option);
      expect((error as InvalidOptionError).value).toBe(value);
      expect((error as Error).message).toContain(option);
    }
  });
});
