/**
 * The features rows run every feature in every adapter that takes options: a group whose
 * pattern matched no tensor, or an option an adapter refused, would fail its first step.
 */
import { describe, expect, it } from "vitest";
import { loadOnnxruntime } from "../src/adapters/onnxruntime.js";
import { loadTfjs } from "../src/adapters/tfjs.js";
import { loadTyped, loadTypedSimd } from "../src/adapters/typed.js";
import { featuredA2SOptions } from "../src/features.js";
import { MLP_PARAMS, shapesFor } from "../src/shapes.js";

describe.each([
  ["typed simd", loadTypedSimd, [MLP_PARAMS, 1_000_000]],
  ["typed", loadTyped, [MLP_PARAMS, 1_000_000]],
  // One MLP-sized step is quick everywhere; tfjs's cpu and onnxruntime's first step at 1e6 are not.
  ["tfjs", loadTfjs, [MLP_PARAMS]],
  ["onnxruntime", loadOnnxruntime, [MLP_PARAMS]],
] as const)("%s", (_family, load, sizes) => {
  it.each(
    sizes,
  )("steps A2S with every feature at %i parameters, in every row that takes options", async (size) => {
    const set = await load();
    const rows = set.steppers.filter((s) => s.takesOptions && !s.variant);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const stepper = await row.make("A2S", shapesFor(size), featuredA2SOptions(size));
      try {
        for (let i = 0; i < 2; i++) await stepper.step();
        // Four float32 slots per parameter: the features add no per-tensor state.
        expect((await stepper.stateSize()).bytes / size, row.name).toBe(16);
      } finally {
        await stepper.dispose();
      }
    }
  });
});

it("the group's pattern takes the MLP's biases and the flat vector, nothing else", () => {
  const mlp = featuredA2SOptions(MLP_PARAMS).groups?.[0]?.tensors as RegExp;
  expect(Object.keys(shapesFor(MLP_PARAMS)).filter((name) => mlp.test(name))).toEqual(["b1", "b2", "b3"]);
  expect(mlp.test("bench3/b2")).toBe(true);
  const flat = featuredA2SOptions(1_000_000).groups?.[0]?.tensors as RegExp;
  expect(Object.keys(shapesFor(1_000_000)).filter((name) => flat.test(name))).toEqual(["x"]);
});
