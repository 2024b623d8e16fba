import { describe, expect, it } from "vitest";
import { countParams, MLP_PARAMS, MLP_SHAPES, randomTensors, shapesFor, stepInputs } from "../src/shapes.js";

describe("shapes", () => {
  it("the MLP has six tensors and 109,386 parameters", () => {
    expect(Object.keys(MLP_SHAPES)).toEqual(["W1", "b1", "W2", "b2", "W3", "b3"]);
    expect(MLP_PARAMS).toBe(109_386);
  });
  it("other sizes are one flat vector", () => {
    expect(shapesFor(1_000_000)).toEqual({ x: [1_000_000] });
    expect(shapesFor(MLP_PARAMS)).toBe(MLP_SHAPES);
    expect(countParams(shapesFor(12_345))).toBe(12_345);
  });
  it("random tensors are reproducible and within their scale", () => {
    const a = randomTensors({ x: [1000] }, 0.01, 9);
    const b = randomTensors({ x: [1000] }, 0.01, 9);
    expect(a["x"]).toEqual(b["x"]);
    expect(Math.max(...(a["x"] as Float32Array).map(Math.abs))).toBeLessThanOrEqual(0.01);
  });
  it("the two gradient sets differ, so the curvature term is not zero", () => {
    const { grads } = stepInputs({ x: [100] });
    expect(grads[0]["x"]).not.toEqual(grads[1]["x"]);
  });
});
