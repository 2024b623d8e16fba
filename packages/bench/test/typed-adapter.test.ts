import { beforeAll, describe, expect, it } from "vitest";
import { loadTyped } from "../src/adapters/typed.js";
import type { AdapterSet } from "../src/adapters/types.js";
import { MLP_PARAMS, MLP_SHAPES } from "../src/shapes.js";

describe("typed adapter rows", () => {
  let set: AdapterSet;
  beforeAll(async () => {
    set = await loadTyped();
  });

  it("offers the fused and the generic kernel, and the typed MLP trainer", () => {
    expect(set.steppers.map((s) => s.name)).toEqual(["typed fused", "typed generic"]);
    expect(set.trainers.map((t) => t.name)).toEqual(["typed fused"]);
  });

  it("counts A2S's state as 4 float32 per parameter and Adam's as 2, from the checkpoint", async () => {
    for (const stepper of set.steppers) {
      const a2s = await stepper.make("A2S", MLP_SHAPES);
      const adam = await stepper.make("Adam", MLP_SHAPES);
      a2s.step();
      a2s.step();
      adam.step();
      expect((await a2s.stateSize()).bytes / MLP_PARAMS).toBe(16);
      expect((await adam.stateSize()).bytes / MLP_PARAMS).toBe(8);
    }
  });
});
