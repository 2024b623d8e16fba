/**
 * The WebAssembly rows: @a2s/wasm-kernels driven by the bench's host step. Every way of
 * placing the arrays must compute the A2S step @a2s/typed computes, or its time would
 * say nothing.
 */
import { A2S } from "@a2s/typed";
import { describe, expect, it } from "vitest";
import { loadWasmKernels } from "../src/adapters/wasm-kernels.js";
import { froundA2SStep } from "../src/fround-step.js";
import { measurePlacements } from "../src/placement.js";
import { FROUND_LABEL, PLACEMENT_LABELS, TYPED_FUSED_LABEL } from "../src/placement-labels.js";
import { makePlan } from "../src/plan.js";
import { MLP_PARAMS, MLP_SHAPES, stepInputs } from "../src/shapes.js";
import { wasmA2SStepper } from "../src/wasm-host.js";
import { relativeError } from "./relative-error.js";

const wasm = await import("@a2s/wasm-kernels");
const SHAPES = { w: [30, 21], b: [21], s: [1] };
const STEPS = 5;

/**
 * @a2s/typed's A2S in float64 on the same inputs, gradients alternating as the bench's
 * steppers take them (the second set first).
 */
function typedReference(shapes: typeof SHAPES, steps: number): Float64Array[] {
  const { params, grads } = stepInputs(shapes);
  const p64 = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]));
  const g64 = grads.map((set) =>
    Object.fromEntries(Object.entries(set).map(([k, v]) => [k, Float64Array.from(v)])),
  );
  const optimizer = new A2S();
  for (let t = 1; t <= steps; t++) optimizer.update(p64, g64[t % 2] as Record<string, Float64Array>);
  return Object.values(p64);
}

/**
 * The float32 steps round every stored value; over 5 steps the parameters stay near 1e-7
 * of @a2s/typed's float64 ones, and 1e-5 (the conformance suite's float32 tolerance) is
 * far below a missed copy or a wrong rate, which moves them by a whole step (1e-3 of
 * their size or more).
 */
const TOLERANCE = 1e-5;

describe("wasm simd row", () => {
  it("loads as one stepper, cheap enough for every size", async () => {
    const set = await loadWasmKernels();
    expect(set.steppers.map((s) => [s.name, s.cheapAtEverySize])).toEqual([["wasm simd", true]]);
    expect(set.trainers).toEqual([]);
  });

  it("counts A2S's state as 4 float32 per parameter and Adam's as 2, from the kernels' memory", async () => {
    const [stepper] = (await loadWasmKernels()).steppers;
    const a2s = await stepper?.make("A2S", MLP_SHAPES);
    const adam = await stepper?.make("Adam", MLP_SHAPES);
    a2s?.step();
    adam?.step();
    expect((await a2s?.stateSize())?.bytes).toBe(16 * MLP_PARAMS);
    expect((await adam?.stateSize())?.bytes).toBe(8 * MLP_PARAMS);
  });
});

describe("placements", () => {
  it.each([
    "copy",
    "all",
  ] as const)("%s: the caller's parameters follow @a2s/typed's A2S within float32 rounding", (placement) => {
    const stepper = wasmA2SStepper(wasm, SHAPES, placement);
    const before = stepper.params.map((p) => Float64Array.from(p));
    for (let t = 0; t < STEPS; t++) stepper.step();
    const expected = typedReference(SHAPES, STEPS);
    expect(relativeError(stepper.params, expected)).toBeLessThanOrEqual(TOLERANCE);
    // The steps moved the parameters by far more than that.
    expect(relativeError(stepper.params, before)).toBeGreaterThan(1e-3);
  });

  it("views: the parameters in the kernels' memory take the steps, the gradient as written", () => {
    const stepper = wasmA2SStepper(wasm, SHAPES, "views");
    for (let t = 0; t < STEPS; t++) stepper.step();
    // Nothing rewrites the gradient between steps: every step sees the first set.
    const { params, grads } = stepInputs(SHAPES);
    const p64 = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]));
    const g64 = Object.fromEntries(Object.entries(grads[0]).map(([k, v]) => [k, Float64Array.from(v)]));
    const optimizer = new A2S();
    for (let t = 0; t < STEPS; t++) optimizer.update(p64, g64);
    expect(relativeError(stepper.params, Object.values(p64))).toBeLessThanOrEqual(TOLERANCE);
  });

  it("float32 JavaScript (Math.fround) computes the same step", () => {
    const fround = froundA2SStep(SHAPES);
    for (let t = 0; t < STEPS; t++) fround.step();
    expect(relativeError(fround.params, typedReference(SHAPES, STEPS))).toBeLessThanOrEqual(TOLERANCE);
  });

  it("measures every variant side by side at each size", async () => {
    const plan = {
      ...makePlan(true),
      stepSizes: [2000],
      timing: () => ({ rounds: 2, iterations: 3, time: 0, warmupIterations: 1, warmupTime: 0 }),
    };
    const [typedFused] = (await import("../src/adapters/typed.js").then((m) => m.loadTyped())).steppers;
    const rows = await measurePlacements(typedFused, plan, () => {});
    expect(rows.map((r) => [r.variant, r.size])).toEqual([
      [TYPED_FUSED_LABEL, 2000],
      [FROUND_LABEL, 2000],
      [PLACEMENT_LABELS.all, 2000],
      [PLACEMENT_LABELS.copy, 2000],
      [PLACEMENT_LABELS.views, 2000],
    ]);
    for (const row of rows) expect(row.ms).toBeGreaterThan(0);
  });
});
