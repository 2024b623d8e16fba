import { describe, expect, it } from "vitest";
import { loadTyped, loadTypedSimd } from "../src/adapters/typed.js";
import { MLP_PARAMS, MLP_SHAPES } from "../src/shapes.js";

describe("typed adapter rows", () => {
  it("offers the SIMD kernels with copied and bound arrays, the fused and the generic kernel, and the typed MLP trainer", async () => {
    const simd = await loadTypedSimd();
    const js = await loadTyped();
    expect(simd.steppers.map((s) => [s.name, s.cheapAtEverySize])).toEqual([
      ["typed simd", true],
      ["typed simd, bound arrays (no copies)", true],
    ]);
    expect(js.steppers.map((s) => s.name)).toEqual(["typed fused", "typed generic"]);
    expect([...simd.trainers, ...js.trainers].map((t) => t.name)).toEqual(["typed simd"]);
  });

  it("counts A2S's state as 4 float32 per parameter and Adam's as 2, from the checkpoint", async () => {
    const steppers = [...(await loadTypedSimd()).steppers, ...(await loadTyped()).steppers];
    expect(steppers).toHaveLength(4);
    for (const stepper of steppers) {
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
