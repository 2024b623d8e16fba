import { describe, expect, it } from "vitest";
import type { StepAdapter, Stepper } from "../src/adapters/types.js";
import { makePlan } from "../src/plan.js";
import { MLP_PARAMS } from "../src/shapes.js";
import { runsAt, stepRows } from "../src/steps.js";

const work = new Float32Array(100_000);

/**
 * A stepper that counts its steps and reports a fixed state size. Each step sums an
 * array, so a time budget yields thousands of samples rather than millions.
 */
function counting(calls: { n: number }): Stepper {
  return {
    async: false,
    step: () => {
      calls.n++;
      return work.reduce((a, b) => a + b, 0);
    },
    stateSize: async () => ({ bytes: 4 * MLP_PARAMS, bytesPerElement: 4, source: "test" }),
    dispose() {},
  };
}

describe("runsAt", () => {
  const quick = makePlan(true);
  const full = makePlan(false);
  const slow: StepAdapter = { name: "slow", make: async () => counting({ n: 0 }) };

  it("--quick drops 1e7 except for the cheap fused kernel; the full run keeps it", () => {
    expect(runsAt(slow, 10_000_000, quick)).toBe(false);
    expect(runsAt({ ...slow, cheapAtEverySize: true }, 10_000_000, quick)).toBe(true);
    expect(runsAt(slow, 10_000_000, full)).toBe(true);
  });

  it("variants run at the MLP's size only", () => {
    expect(runsAt({ ...slow, variant: true }, MLP_PARAMS, full)).toBe(true);
    expect(runsAt({ ...slow, variant: true }, 1_000_000, full)).toBe(false);
  });
});

describe("stepRows", () => {
  it("times A2S and Adam per size, counts state at the MLP's size and notes what it skipped", async () => {
    const calls = { n: 0 };
    const adapter: StepAdapter = { name: "fake", make: async () => counting(calls) };
    const { steps, memory } = await stepRows(adapter, makePlan(true), () => {});
    expect(steps.map((s) => [s.size, s.a2sMs !== null, s.note])).toEqual([
      [MLP_PARAMS, true, undefined],
      [1_000_000, true, undefined],
      [10_000_000, false, "skipped in --quick"],
    ]);
    expect(memory.map((m) => [m.kind, m.bytesPerParam])).toEqual([
      ["A2S", 4],
      ["Adam", 4],
    ]);
    expect(calls.n).toBeGreaterThan(0);
  }, 30_000);

  it("turns a failing adapter into a row that says why", async () => {
    const adapter: StepAdapter = {
      name: "broken",
      make: async () => {
        throw new Error("session could not be created\nstack...");
      },
    };
    const { steps } = await stepRows(adapter, makePlan(true), () => {});
    expect(steps[0]?.note).toBe("failed: session could not be created");
  });
});

describe("stepRows for a variant", () => {
  it("has a row at the MLP's size only", async () => {
    const adapter: StepAdapter = { name: "variant", variant: true, make: async () => counting({ n: 0 }) };
    const { steps, memory } = await stepRows(adapter, makePlan(true), () => {});
    expect(steps.map((s) => s.size)).toEqual([MLP_PARAMS]);
    // Its state is its main configuration's, counted there.
    expect(memory).toEqual([]);
  }, 30_000);
});
