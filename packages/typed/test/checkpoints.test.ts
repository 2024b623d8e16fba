import { readdirSync, readFileSync } from "node:fs";
import { relativeError, TOLERANCE } from "@a2s/conformance";
import { describe, expect, test } from "vitest";
import {
  A2S,
  type A2SOptions,
  Adam,
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  type Kernel,
  linearSchedule,
  Optimizer,
  RMSProp,
  SGDMomentum,
  type TensorRecord,
} from "../src/index.js";
import { gradients, makeParams } from "./helpers.js";

const BLEND: Partial<A2SOptions> = {
  switchIter: 5,
  blendIters: 10,
  curvatureK: 0.5,
  lrAdam: 0.01,
  lrSgd: 0.02,
};

function run(optimizer: Optimizer, params: TensorRecord, from: number, to: number): void {
  for (let step = from + 1; step <= to; step++) optimizer.update(params, gradients(params, step));
}

describe("checkpoints", () => {
  test.each([
    "simd",
    "fused",
    "generic",
  ] as const)("fromCheckpoint restores options and state; continuing is bit for bit (%s)", (kernel) => {
    const options = {
      ...BLEND,
      lrAdam: linearSchedule({ initValue: 0.02, endValue: 0.001, transitionSteps: 15 }),
      weightDecay: 0.01,
    };
    const expected = makeParams("float32");
    run(new A2S(options, { kernel }), expected, 0, 20);

    const params = makeParams("float32");
    const first = new A2S(options, { kernel });
    run(first, params, 0, 8);
    const second = Optimizer.fromCheckpoint(first.saveCheckpoint(), { kernel });
    expect(second.options).toEqual(first.options);
    expect(second.algorithm).toBe("A2S");
    expect(second.t).toBe(8);
    expect(second.kernel).toBe(kernel);
    run(second, params, 8, 20);
    expect(params).toEqual(expected);
  });

  test("an invalid stored option is refused as a CheckpointError naming it, and nothing changes", () => {
    const params = makeParams("float64");
    const optimizer = new A2S(BLEND);
    run(optimizer, params, 0, 3);
    const saved = optimizer.saveCheckpoint();
    const checkpoint = decodeCheckpoint(saved);
    const bad = encodeCheckpoint({ ...checkpoint, options: { ...checkpoint.options, beta2: 1 } });
    expect(() => optimizer.loadCheckpoint(bad)).toThrow(CheckpointError);
    expect(() => optimizer.loadCheckpoint(bad)).toThrow(/beta2/);
    expect(optimizer.saveCheckpoint()).toEqual(saved);
  });

  test("refuses a checkpoint that claims steps but holds no tensors", () => {
    const fresh = decodeCheckpoint(new A2S().saveCheckpoint());
    const bytes = encodeCheckpoint({ ...fresh, t: 3 });
    expect(() => Optimizer.fromCheckpoint(bytes)).toThrow(/3 steps taken/);
  });

  test("refuses to make an optimizer from a checkpoint of an algorithm that is not built in", () => {
    const fresh = decodeCheckpoint(new A2S().saveCheckpoint());
    expect(() => Optimizer.fromCheckpoint(encodeCheckpoint({ ...fresh, algorithm: "Lion" }))).toThrow(
      expect.objectContaining({ name: "CheckpointError", problem: "algorithm" }),
    );
  });

  test("a fresh checkpoint resets the optimizer, reopening the tensor set", () => {
    const freshBytes = new A2S(BLEND).saveCheckpoint();
    const params = makeParams("float64");
    const optimizer = new A2S(BLEND);
    run(optimizer, params, 0, 3);
    optimizer.loadCheckpoint(freshBytes);
    expect(optimizer.t).toBe(0);
    expect(optimizer.diagnostics).toBeUndefined();
    optimizer.update({ y: new Float64Array(1) }, { y: Float64Array.of(1) });
    expect(optimizer.t).toBe(1);
  });

  test("state loaded into a fresh optimizer takes the dtype of the first update", () => {
    const params32 = makeParams("float32");
    const source = new A2S(BLEND);
    run(source, params32, 0, 4);
    const params64 = Object.fromEntries(Object.entries(params32).map(([k, v]) => [k, Float64Array.from(v)]));
    const target = Optimizer.fromCheckpoint(source.saveCheckpoint());
    target.update(params64, gradients(params64, 5));
    expect(target.t).toBe(5);
    const saved = decodeCheckpoint(target.saveCheckpoint());
    expect(saved.tensors.find((t) => t.name === "W")?.slots.m).toBeInstanceOf(Float64Array);
  });

  test("state loaded into an optimizer whose dtypes are fixed is cast to them", () => {
    const params32 = makeParams("float32");
    const source = new A2S(BLEND);
    run(source, params32, 0, 4);
    const params64 = makeParams("float64");
    const target = new A2S(BLEND);
    run(target, params64, 0, 1);
    target.loadCheckpoint(source.saveCheckpoint());
    const loaded = decodeCheckpoint(target.saveCheckpoint()).tensors.find((t) => t.name === "b");
    const original = decodeCheckpoint(source.saveCheckpoint()).tensors.find((t) => t.name === "b");
    expect(loaded?.slots.v).toBeInstanceOf(Float64Array);
    expect(Array.from(loaded?.slots.v ?? [])).toEqual(Array.from(original?.slots.v ?? []));
  });

  test("float64 state that float32 tensors cannot hold is refused, naming the slot, also when adopted at the first update", () => {
    const params = makeParams("float64");
    const source = new A2S(BLEND);
    run(source, params, 0, 2);
    const checkpoint = decodeCheckpoint(source.saveCheckpoint());
    const huge = encodeCheckpoint({
      ...checkpoint,
      tensors: checkpoint.tensors.map((t) =>
        t.name === "W"
          ? { ...t, slots: { ...t.slots, v: Float64Array.from(t.slots.v ?? [], () => 1e57) } }
          : t,
      ),
    });
    const fresh = Optimizer.fromCheckpoint(huge);
    const params32 = makeParams("float32");
    const before = fresh.saveCheckpoint();
    expect(() => fresh.update(params32, gradients(params32, 3))).toThrow(
      expect.objectContaining({
        name: "CheckpointError",
        problem: "data",
        message: expect.stringContaining("W.v[0]"),
      }),
    );
    expect(fresh.saveCheckpoint()).toEqual(before);
    const held = new A2S(BLEND);
    run(held, params32, 0, 1);
    expect(() => held.loadCheckpoint(huge)).toThrow(
      expect.objectContaining({ name: "CheckpointError", problem: "data" }),
    );
  });

  test("refuses a checkpoint with a tensor the optimizer does not hold, naming it", () => {
    const params = makeParams("float64");
    const optimizer = new A2S(BLEND);
    run(optimizer, params, 0, 2);
    const checkpoint = decodeCheckpoint(optimizer.saveCheckpoint());
    const one = () => new Float64Array(1);
    const extra = { name: "bias2", shape: [1], slots: { prev: one(), m: one(), v: one(), buf: one() } };
    const bytes = encodeCheckpoint({ ...checkpoint, tensors: [...checkpoint.tensors, extra] });
    expect(() => optimizer.loadCheckpoint(bytes)).toThrow(/tensor bias2 is not one the optimizer holds/);
  });

  test("a tensor named __proto__ survives its own checkpoint", () => {
    const params: TensorRecord = JSON.parse('{"__proto__": 0}');
    const grads: TensorRecord = JSON.parse('{"__proto__": 0}');
    Object.defineProperty(params, "__proto__", { value: Float64Array.of(1, 2), enumerable: true });
    Object.defineProperty(grads, "__proto__", { value: Float64Array.of(0.5, -1), enumerable: true });
    const optimizer = new A2S();
    optimizer.update(params, grads);
    const saved = decodeCheckpoint(optimizer.saveCheckpoint());
    expect(saved.tensors.map((t) => t.name)).toEqual(["__proto__"]);
    const copy = Optimizer.fromCheckpoint(optimizer.saveCheckpoint());
    copy.update(params, grads);
    expect(copy.t).toBe(2);
  });
});

describe("checkpoints written before the engine (format 1)", () => {
  const dir = new URL("./fixtures/v1/", import.meta.url);
  type Maker = (options: Record<string, number>, kernel: Kernel) => Optimizer;
  const makers: Record<string, Maker> = {
    A2S: (o, kernel) => new A2S(o, { kernel }),
    Adam: (o, kernel) => new Adam(o, { kernel }),
    RMSProp: (o, kernel) => new RMSProp(o, { kernel }),
    SGDMomentum: (o, kernel) => new SGDMomentum(o, { kernel }),
  };
  const fromHex = (hex: string) => new Float64Array(new Uint8Array(Buffer.from(hex, "hex")).buffer);
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  // The fused kernel computes as the old code did (float64 intermediates, rounded once
  // when stored): the same bits. The SIMD kernel computes float32 tensors in float32
  // arithmetic: the same bits in float64 (where the fused loop runs), and in float32 the
  // same trajectory to within the conformance suite's float32 tolerance at every step.
  const cases = files.flatMap((file) =>
    (["fused", "simd"] as const).map((kernel) => [file, kernel] as const),
  );
  test.each(cases)("%s: loads and continues as the old code did (%s)", async (file, kernel) => {
    const fixture = JSON.parse(readFileSync(new URL(file, dir), "utf8"));
    const { NoisyQuadratic } = await import("@a2s/conformance");
    const problem = new NoisyQuadratic(fixture.seed);
    // The problem's gradients depend on the step number: replay the noise up to saveAt.
    for (let s = 1; s <= fixture.saveAt; s++) problem.gradient(problem.initialParams() as never, s);
    const toDtype = (values: Float64Array) =>
      fixture.dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
    const params: TensorRecord = Object.fromEntries(
      Object.entries(fixture.paramsAtSave as Record<string, string>).map(([k, hex]) => [
        k,
        toDtype(fromHex(hex)),
      ]),
    );
    const optimizer = (makers[fixture.kind] as Maker)(fixture.options, kernel);
    optimizer.loadCheckpoint(new Uint8Array(Buffer.from(fixture.checkpoint, "base64")));
    expect(optimizer.t).toBe(fixture.saveAt);
    const exact = kernel === "fused" || fixture.dtype === "float64";
    for (let s = fixture.saveAt + 1; s <= fixture.total; s++) {
      const host = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]));
      const grads = Object.fromEntries(
        Object.entries(problem.gradient(host, s)).map(([k, v]) => [k, toDtype(v)]),
      );
      optimizer.update(params, grads);
      expect(optimizer.kernel).toBe(kernel === "simd" && fixture.dtype === "float64" ? "fused" : kernel);
      const expected = fixture.trajectory[s - fixture.saveAt - 1] as Record<string, string>;
      for (const [name, hex] of Object.entries(expected)) {
        const label = `${name} after step ${s}`;
        if (exact) {
          expect(Array.from(params[name] as Float64Array), label).toEqual(Array.from(fromHex(hex)));
        } else {
          expect(relativeError(params[name] as Float32Array, fromHex(hex)), label).toBeLessThanOrEqual(
            TOLERANCE.float32,
          );
        }
      }
    }
  });
});
