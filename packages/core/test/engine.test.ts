/**
 * The engine's bookkeeping, over a minimal backend of plain Float64Arrays: what every
 * adapter inherits. (The adapters' own suites run the math; this holds the contract.)
 */
import { describe, expect, test } from "vitest";
import {
  type ArrayOps,
  a2s,
  Engine,
  type EngineBackend,
  firstNonFinite,
  InvalidCallError,
  type StepTensorInput,
  sgdMomentum,
} from "../src/index.js";

type A = Float64Array;
const zip = (f: (x: number, y: number) => number) => (a: A, b: A) => {
  const n = Math.max(a.length, b.length);
  return Float64Array.from({ length: n }, (_, i) =>
    f(a[a.length === 1 ? 0 : i] as number, b[b.length === 1 ? 0 : i] as number),
  );
};
const ops: ArrayOps<A> = {
  scalar: (x) => Float64Array.of(x),
  add: zip((x, y) => x + y),
  sub: zip((x, y) => x - y),
  mul: zip((x, y) => x * y),
  div: zip((x, y) => x / y),
  maximum: zip(Math.max),
  minimum: zip(Math.min),
  greater: zip((x, y) => (x > y ? 1 : 0)),
  where: (c, a, b) => {
    const at = (x: A, i: number) => x[x.length === 1 ? 0 : i] as number;
    return Float64Array.from({ length: Math.max(c.length, a.length, b.length) }, (_, i) =>
      at(c, i) !== 0 ? at(a, i) : at(b, i),
    );
  },
  sqrt: (a) => a.map(Math.sqrt),
  sum: (a) => Float64Array.of(a.reduce((s, x) => s + x, 0)),
  sumSquares: (a) => Float64Array.of(a.reduce((s, x) => s + x * x, 0)),
};
const backend: EngineBackend<A> = {
  ops,
  zeros: (shape) => new Float64Array(shape.reduce((a, b) => a * b, 1)),
  fromHost: (values) => Float64Array.from(values),
  toHost: (value) => value.slice(),
  assign: (target, value) => target.set(value),
  findNonFinite: (values) => firstNonFinite(values),
};

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
