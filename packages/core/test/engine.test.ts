/**
 * The engine's bookkeeping, over a minimal backend of plain Float64Arrays: what every
 * adapter inherits. (The adapters' own suites run the math; this holds the contract.)
 */
import { describe, expect, test } from "vitest";
import { a2s, Engine, InvalidCallError, type StepTensorInput, sgdMomentum } from "../src/index.js";
import { type A, backend } from "./float64-backend.js";

function inputs(params: Record<string, A>, grads: Record<string, A>): StepTensorInput<A>[] {
  return Object.keys(params).map((name) => ({
    name,
    shape: [(params[name] as A).length],
    dtype: "float64",
    param: params[name] as A,
    grad: grads[name] as A,
  }));
}

function step(engine: Engine<A>, params: Record<string, A>, grads: Record<string, A>): void {
  const prepared = engine.prepare(inputs(params, grads));
  const outcome = engine.compute(prepared);
  if (outcome instanceof Promise) throw new Error("unexpected promise");
  engine.commit(prepared, outcome);
}

describe("Engine", () => {
  test("a refused first step (a group that takes no tensor) leaves it fresh, and names the group", () => {
    const engine = new Engine(a2s({ groups: [{ tensors: ["nope"], lrAdam: 0.1 }] }), backend);
    expect(() => engine.prepare(inputs({ x: Float64Array.of(1) }, { x: Float64Array.of(1) }))).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "groups[0].tensors" }),
    );
    expect(engine.tensors).toBeUndefined();
  });

  test("declare fixes the tensor set before any step: a checkpoint of other tensors is refused", () => {
    const engine = new Engine(sgdMomentum(), backend);
    engine.declare([{ name: "w", shape: [2, 2], dtype: "float64" }]);
    const other = new Engine(sgdMomentum(), backend);
    step(other, { v: Float64Array.of(1) }, { v: Float64Array.of(1) });
    expect(() => engine.load(other.save())).toThrow(
      expect.objectContaining({ name: "CheckpointError", problem: "tensors" }),
    );
    expect(() => engine.declare([])).toThrow(InvalidCallError);
    expect(engine.tensors?.[0]?.shape).toEqual([2, 2]);
  });

  test("loading by position binds saved state to renamed tensors at the first step", () => {
    const source = new Engine(sgdMomentum({ learningRate: 0.1 }), backend);
    const p = { old_1: Float64Array.of(1, 2), old_2: Float64Array.of(3) };
    step(source, p, { old_1: Float64Array.of(1, 1), old_2: Float64Array.of(1) });
    const target = new Engine(sgdMomentum(), backend);
    target.load(source.save(), { match: "position" });
    const q = { new_1: Float64Array.from(p.old_1), new_2: Float64Array.from(p.old_2) };
    step(target, q, { new_1: Float64Array.of(1, 1), new_2: Float64Array.of(1) });
    step(source, p, { old_1: Float64Array.of(1, 1), old_2: Float64Array.of(1) });
    expect(q.new_1).toEqual(p.old_1);
    expect(target.tensors?.map((t) => t.name)).toEqual(["new_1", "new_2"]);
  });

  test("an allReduce that breaks its contract is refused as InvalidCallError, and nothing changes", () => {
    for (const bad of [() => new Float64Array(2), () => Float64Array.of(Number.NaN), () => "x" as never]) {
      const engine = new Engine(a2s(), backend, { allReduce: bad });
      const p = { x: Float64Array.of(1) };
      expect(() => step(engine, p, { x: Float64Array.of(1) })).toThrow(
        expect.objectContaining({ name: "InvalidCallError", operation: "allReduce" }),
      );
      expect(engine.t).toBe(0);
      expect(p.x[0]).toBe(1);
    }
  });

  test("an asynchronous allReduce makes compute return a promise; the step waits for the global sums", async () => {
    const seen: number[][] = [];
    const engine = new Engine(a2s({ clipNorm: 1 }), backend, {
      allReduce: async (partials) => {
        seen.push([...partials]);
        return Float64Array.from(partials, (x) => 2 * x);
      },
    });
    const p = { x: Float64Array.of(0) };
    const prepared = engine.prepare(inputs(p, { x: Float64Array.of(3) }));
    const outcome = engine.compute(prepared);
    expect(outcome).toBeInstanceOf(Promise);
    engine.commit(prepared, await outcome);
    // Clipping asks first (9 = 3²), then the curvature.
    expect(seen[0]).toEqual([9]);
    expect(seen).toHaveLength(2);
    // The global norm is sqrt(18): the factor is 1/sqrt(18).
    expect(engine.diagnostics()?.clipFactor).toBeCloseTo(1 / Math.sqrt(18), 15);
  });

  test("diagnostics report host values exactly, and are undefined before a step and after a load", () => {
    const engine = new Engine(a2s({ switchIter: 0, blendIters: 3 }), backend);
    expect(engine.diagnostics()).toBeUndefined();
    step(engine, { x: Float64Array.of(1) }, { x: Float64Array.of(1) });
    expect(engine.diagnostics()?.w).toBe(1 - 1 / 3);
    engine.load(engine.save());
    expect(engine.diagnostics()).toBeUndefined();
  });

  test("after dispose every call throws InvalidCallError naming it", () => {
    const engine = new Engine(a2s(), backend);
    engine.dispose();
    expect(() => engine.prepare(inputs({ x: Float64Array.of(1) }, { x: Float64Array.of(1) }))).toThrow(
      expect.objectContaining({ name: "InvalidCallError", operation: "update" }),
    );
    expect(() => engine.save()).toThrow(expect.objectContaining({ operation: "saveCheckpoint" }));
    expect(engine.disposed).toBe(true);
  });

  test("an algorithm that is none is refused at construction", () => {
    expect(() => new Engine({} as never, backend)).toThrow(expect.objectContaining({ option: "algorithm" }));
  });
});
