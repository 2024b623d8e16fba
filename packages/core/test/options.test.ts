import { describe, expect, test } from "vitest";
import {
  a2s,
  adam,
  cosineDecaySchedule,
  InvalidOptionError,
  optionSetFromJSON,
  optionSetToJSON,
} from "../src/index.js";

describe("options", () => {
  test("a2s(): the seed's defaults and every addition off", () => {
    expect(a2s().options).toEqual({
      lrAdam: 0.001,
      lrSgd: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      momentum: 0.9,
      epsilon: 1e-8,
      weightDecay: 0,
      curvatureK: 0.05,
      clipNorm: Number.POSITIVE_INFINITY,
      switchIter: 1500,
      blendIters: 3000,
      switchMinSteps: 1000,
      switchWindow: 500,
      switchTolerance: 0.25,
      windowSize: 10,
    });
  });

  test("the seed's settings that were refused before are valid: hard switch, never switch, zero rates", () => {
    expect(
      a2s({ blendIters: 0, switchIter: Number.POSITIVE_INFINITY, lrAdam: 0, lrSgd: 0 }).options,
    ).toMatchObject({
      blendIters: 0,
      switchIter: Number.POSITIVE_INFINITY,
      lrAdam: 0,
    });
  });

  test("an epsilon that float32 would round to zero or a subnormal is refused", () => {
    for (const epsilon of [1e-46, 5e-324, 1e-39]) {
      expect(() => a2s({ epsilon })).toThrow(expect.objectContaining({ option: "epsilon", value: epsilon }));
    }
  });

  test("unknown names, null and global options inside a group are refused, naming them", () => {
    expect(() => a2s({ lr: 0.1 } as never)).toThrow(expect.objectContaining({ option: "lr" }));
    expect(() => a2s({ lrAdam: null } as never)).toThrow(expect.objectContaining({ option: "lrAdam" }));
    expect(() => a2s({ groups: [{ tensors: ["x"], switchIter: 3 }] } as never)).toThrow(
      expect.objectContaining({ option: "groups[0].switchIter" }),
    );
    expect(() => adam("fast" as never)).toThrow(InvalidOptionError);
  });

  test("blend replaces switchIter and blendIters, so both may not be given", () => {
    expect(() => a2s({ blend: 0.5, blendIters: 3 })).toThrow(expect.objectContaining({ option: "blend" }));
  });

  test("a group pattern with global or sticky flags is copied without them, so it answers the same every time", () => {
    const options = a2s({ groups: [{ tensors: /bias/g, weightDecay: 0 }] }).options;
    const pattern = (options.groups as { tensors: RegExp }[])[0]?.tensors as RegExp;
    expect(pattern.flags).toBe("");
    expect([pattern.test("bias"), pattern.test("bias")]).toEqual([true, true]);
  });

  test("options round-trip through JSON: Infinity, schedules, patterns, groups", () => {
    const algorithm = a2s({
      switchIter: Number.POSITIVE_INFINITY,
      lrAdam: cosineDecaySchedule({ initValue: 0.01, decaySteps: 100 }),
      groups: [
        { tensors: /^b/i, weightDecay: 0 },
        { tensors: ["W"], beta1: 0.8 },
      ],
    });
    const json = JSON.parse(JSON.stringify(optionSetToJSON(algorithm.optionSet)));
    expect(json.switchIter).toBe("Infinity");
    const back = optionSetFromJSON(a2s.definition.options, json, undefined);
    expect(back).toEqual(algorithm.optionSet);
  });

  test("a function schedule is written as a marker and taken back from the loading optimizer", () => {
    const rate = (t: number) => 0.01 / t;
    const algorithm = a2s({ lrAdam: rate });
    const json = JSON.parse(JSON.stringify(optionSetToJSON(algorithm.optionSet)));
    expect(json.lrAdam).toEqual({ type: "function" });
    expect(optionSetFromJSON(a2s.definition.options, json, algorithm.optionSet).values.lrAdam).toBe(rate);
    expect(() => optionSetFromJSON(a2s.definition.options, json, a2s().optionSet)).toThrow(
      expect.objectContaining({ option: "lrAdam" }),
    );
  });

  test("stored options must all be present: an emptied header does not become the defaults", () => {
    expect(() => optionSetFromJSON(a2s.definition.options, {}, undefined)).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "lrAdam" }),
    );
  });
});
