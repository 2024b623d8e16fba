import { expect, test } from "vitest";
import { SEED_LAYER_SIZES } from "../src/mlp-graph.js";
import { buildFusedModel } from "../src/mlp-models.js";
import { a2sRecipe, adamRecipe } from "../src/recipes.js";

test("A2S's curvature output doubles as the fused step's finiteness check, except on step 1", () => {
  const later = buildFusedModel(SEED_LAYER_SIZES, a2sRecipe(), false);
  expect(later.gradCheck).toBe(later.io.scalarOutputs.curvature);
  const first = buildFusedModel(SEED_LAYER_SIZES, a2sRecipe(), true);
  // Step 1's curvature is the constant 0: it cannot see a gradient, so a check is recorded.
  expect(first.gradCheck).not.toBe(first.io.scalarOutputs.curvature);
  expect(first.io.slotInputs.flat()).not.toContain(expect.stringContaining("prev"));
  const adam = buildFusedModel(SEED_LAYER_SIZES, adamRecipe(), false);
  expect(adam.io.scalarOutputs.curvature).toBeUndefined();
  expect(adam.gradCheck).toEqual(expect.any(String));
});

test("the fused step reads and writes each slot once per unit and each parameter once per tensor", () => {
  const model = buildFusedModel(SEED_LAYER_SIZES, a2sRecipe(), false);
  // Units: W1 alone, then b1, W2, b2, W3, b3 together.
  expect(model.io.slotInputs).toHaveLength(2);
  expect(model.io.slotInputs.every((slots) => slots.length === 4 && slots.every((s) => s !== null))).toBe(
    true,
  );
  expect(model.io.slotOutputs).toHaveLength(2);
  expect(model.io.paramOutputs).toHaveLength(6);
  expect(new Set(model.io.paramOutputs).size).toBe(6);
  expect(model.io.stepScalars.sort()).toEqual(["biasCorrection1", "biasCorrection2", "oneMinusW", "w"]);
});
