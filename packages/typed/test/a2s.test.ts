import { describe, expect, test } from "vitest";
import {
  A2S,
  A2S_DEFAULTS,
  type A2SOptions,
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  InvalidOptionError,
  type Kernel,
  NonFiniteGradientError,
  TensorMismatchError,
  type TensorRecord,
} from "../src/index.js";
import { cloneRecord, gradients, makeParams } from "./helpers.js";

/** Crosses pure Adam, the blend and pure SGD, with curvature scaling on. */
const BLEND: Partial<A2SOptions> = {
  switchIter: 5,
  blendIters: 10,
  curvatureK: 0.5,
  lrAdam: 0.01,
  lrSgd: 0.02,
};

function run(optimizer: A2S, params: TensorRecord, from: number, to: number): void {
  for (let step = from + 1; step <= to; step++) optimizer.update(params, gradients(params, step));
}

function trajectory(kernel: Kernel, dtype: "float32" | "float64", steps = 25): TensorRecord {
  const params = makeParams(dtype);
  run(new A2S(BLEND, { kernel }), params, 0, steps);
  return params;
}

describe("A2S", () => {
  test("updates the given arrays in place and counts steps", () => {
    const params = makeParams("float64");
    const W = params.W;
    const before = W?.slice();
    const optimizer = new A2S(BLEND);
    run(optimizer, params, 0, 2);
    expect(params.W).toBe(W);
    expect(W).not.toEqual(before);
    expect(optimizer.t).toBe(2);
    expect(optimizer.kernel).toBe("fused");
  });

  test("fused and generic kernels are equal bit for bit in float64", () => {
    expect(trajectory("fused", "float64")).toEqual(trajectory("generic", "float64"));
  });

  test("in float32 the fused kernel (float64 intermediates) stays within 1e-6 of the generic one", () => {
    const fused = trajectory("fused", "float32");
    const generic = trajectory("generic", "float32");
    for (const name of Object.keys(fused)) {
      const a = fused[name] as Float32Array;
      const b = generic[name] as Float32Array;
      // 25 steps of per-operation float32 rounding (6e-8 each) in the generic path.
      for (let i = 0; i < a.length; i++)
        expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(1e-6);
    }
  });

  test.each(["fused", "generic"] as const)("diagnostics follow the seed's formulas (%s)", (kernel) => {
    const optimizer = new A2S({ switchIter: 0, blendIters: 2, curvatureK: 0.5 }, { kernel });
    expect(optimizer.diagnostics).toBeUndefined();
    const p = { x: Float64Array.of(1) };
    optimizer.update(p, { x: Float64Array.of(2) });
    expect(optimizer.diagnostics).toEqual({
      t: 1,
      w: 0.5,
      curvature: 0,
      lrScale: 1,
      lrAdam: 0.001,
      lrSgd: 0.01,
    });
    // m = 0.2, v = 0.004, so mHat = 2, vHat = 4; buf = 2.
    expect(p.x[0]).toBeCloseTo(1 - (0.5 * (0.001 * 2)) / (2 + 1e-8) - 0.5 * 0.01 * 2, 15);
    optimizer.update(p, { x: Float64Array.of(5) });
    expect(optimizer.diagnostics).toEqual({
      t: 2,
      w: 0,
      curvature: 3,
      lrScale: 0.4,
      lrAdam: 0.001 * 0.4,
      lrSgd: 0.01 * 0.4,
    });
  });

  test("tensors of different dtypes in one model: each keeps its own, both kernels agree", () => {
    const results = (["fused", "generic"] as const).map((kernel) => {
      const params: TensorRecord = { W: Float32Array.of(0.5, -0.25, 1), b: Float64Array.of(0.75) };
      run(new A2S(BLEND, { kernel }), params, 0, 20);
      return params;
    });
    const [fused, generic] = results as [TensorRecord, TensorRecord];
    expect(fused.W).toBeInstanceOf(Float32Array);
    expect(fused.b).toBeInstanceOf(Float64Array);
    // The generic path rounds its shared scalars to the first tensor's dtype (float32),
    // so the float64 tensor differs by float32 roundings of the learning rates.
    for (const name of ["W", "b"]) {
      const a = fused[name] as Float64Array;
      const b = generic[name] as Float64Array;
      for (let i = 0; i < a.length; i++)
        expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(1e-6);
    }
  });

  test("keeps its own copy of the previous gradient", () => {
    const reused = makeParams("float64");
    const fresh = makeParams("float64");
    const a = new A2S(BLEND);
    const b = new A2S(BLEND);
    const buffer = gradients(reused, 1);
    for (let step = 1; step <= 6; step++) {
      const g = gradients(reused, step);
      for (const [name, values] of Object.entries(g)) (buffer[name] as Float64Array).set(values);
      a.update(reused, buffer);
      b.update(fresh, gradients(fresh, step));
      // Scribbling over the caller's buffer must not reach the optimizer's state.
      for (const values of Object.values(buffer)) values.fill(1e6);
    }
    expect(reused).toEqual(fresh);
  });

  test.each([
    "fused",
    "generic",
  ] as const)("a refused first update leaves the optimizer fresh (%s)", (kernel) => {
    const optimizer = new A2S(BLEND, { kernel });
    const freshBytes = optimizer.saveCheckpoint();
    const params = makeParams("float64");
    const before = cloneRecord(params);
    const grads = gradients(params, 1);
    (grads.b as Float64Array)[1] = Number.NaN;
    expect(() => optimizer.update(params, grads)).toThrow(NonFiniteGradientError);
    expect(params).toEqual(before);
    expect(optimizer.t).toBe(0);
    expect(optimizer.diagnostics).toBeUndefined();
    expect(optimizer.saveCheckpoint()).toEqual(freshBytes);
    // The tensor set is still open: another one is accepted.
    optimizer.update({ other: new Float32Array(2) }, { other: Float32Array.of(1, 2) });
    expect(optimizer.t).toBe(1);
  });

  test("refuses parameters that are not a record of float arrays, or an empty one", () => {
    const optimizer = new A2S();
    const refusal = (params: unknown, grads: unknown) => () =>
      optimizer.update(params as TensorRecord, grads as TensorRecord);
    expect(refusal({}, {})).toThrow(TensorMismatchError);
    expect(refusal(null, {})).toThrow(TensorMismatchError);
    expect(refusal({ x: Int32Array.of(1) }, { x: Int32Array.of(1) })).toThrow(/parameter x must be/);
    expect(refusal({ x: Float64Array.of(1) }, [Float64Array.of(1)])).toThrow(/gradient/);
    expect(optimizer.t).toBe(0);
  });

  test("after the first update, the tensor set, lengths and dtypes are fixed", () => {
    const optimizer = new A2S();
    const params = makeParams("float64");
    optimizer.update(params, gradients(params, 1));
    const other = { ...params, s: Float32Array.of(0) };
    expect(() => optimizer.update(other, gradients(other, 2))).toThrow(
      expect.objectContaining({ tensor: "s", kind: "dtype" }),
    );
    const longer = { ...params, b: new Float64Array(4) };
    expect(() => optimizer.update(longer, gradients(longer, 2))).toThrow(
      expect.objectContaining({ tensor: "b", kind: "length" }),
    );
    expect(optimizer.t).toBe(1);
  });

  test("refuses an unknown kernel", () => {
    expect(() => new A2S({}, { kernel: "gpu" as Kernel })).toThrow(InvalidOptionError);
  });

  test("options are the seed's defaults overlaid with what was given", () => {
    expect(new A2S({ lrSgd: 0.05 }).options).toEqual({ ...A2S_DEFAULTS, lrSgd: 0.05 });
  });
});

describe("A2S checkpoints", () => {
  test.each([
    "fused",
    "generic",
  ] as const)("fromCheckpoint restores options and state; continuing is bit for bit (%s)", (kernel) => {
    const expected = makeParams("float32");
    run(new A2S(BLEND, { kernel }), expected, 0, 20);

    const params = makeParams("float32");
    const first = new A2S(BLEND, { kernel });
    run(first, params, 0, 8);
    const second = A2S.fromCheckpoint(first.saveCheckpoint(), { kernel });
    expect(second.options).toEqual(first.options);
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
    const bytes = encodeCheckpoint({ algorithm: "A2S", options: { ...A2S_DEFAULTS }, t: 3, tensors: {} });
    expect(() => A2S.fromCheckpoint(bytes)).toThrow(/3 steps taken/);
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
    const target = A2S.fromCheckpoint(source.saveCheckpoint());
    target.update(params64, gradients(params64, 5));
    expect(target.t).toBe(5);
    const saved = decodeCheckpoint(target.saveCheckpoint());
    expect(saved.tensors.W?.slots.m).toBeInstanceOf(Float64Array);
  });

  test("state loaded into an optimizer whose dtypes are fixed is cast to them", () => {
    const params32 = makeParams("float32");
    const source = new A2S(BLEND);
    run(source, params32, 0, 4);
    const params64 = makeParams("float64");
    const target = new A2S(BLEND);
    run(target, params64, 0, 1);
    target.loadCheckpoint(source.saveCheckpoint());
    const loaded = decodeCheckpoint(target.saveCheckpoint());
    const original = decodeCheckpoint(source.saveCheckpoint());
    expect(loaded.tensors.b?.slots.v).toBeInstanceOf(Float64Array);
    expect(Array.from(loaded.tensors.b?.slots.v ?? [])).toEqual(
      Array.from(original.tensors.b?.slots.v ?? []),
    );
  });

  test("refuses a checkpoint with a tensor the optimizer does not hold, naming it", () => {
    const params = makeParams("float64");
    const optimizer = new A2S(BLEND);
    run(optimizer, params, 0, 2);
    const checkpoint = decodeCheckpoint(optimizer.saveCheckpoint());
    const extra = {
      shape: [1],
      slots: {
        m: new Float64Array(1),
        v: new Float64Array(1),
        buf: new Float64Array(1),
        prev: new Float64Array(1),
      },
    };
    const bytes = encodeCheckpoint({ ...checkpoint, tensors: { ...checkpoint.tensors, bias2: extra } });
    expect(() => optimizer.loadCheckpoint(bytes)).toThrow(/tensor bias2 is not one this optimizer holds/);
  });
});
