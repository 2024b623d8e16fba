import { describe, expect, test } from "vitest";
import {
  A2S,
  type A2SOptions,
  Adam,
  cosineDecaySchedule,
  decodeCheckpoint,
  exponentialDecay,
  InvalidCallError,
  InvalidOptionError,
  type Kernel,
  NonFiniteGradientError,
  Optimizer,
  RMSProp,
  SGDMomentum,
  TensorMismatchError,
  type TensorRecord,
  warmupCosineDecaySchedule,
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

/** Every feature on at once. */
const FEATURES: Partial<A2SOptions> = {
  ...BLEND,
  lrAdam: cosineDecaySchedule({ initValue: 0.02, decaySteps: 20, alpha: 0.1 }),
  lrSgd: warmupCosineDecaySchedule({ initValue: 0, peakValue: 0.03, warmupSteps: 4, decaySteps: 24 }),
  weightDecay: 0.02,
  clipNorm: 0.6,
  groups: [{ tensors: ["b"], weightDecay: 0, beta1: 0.8, lrAdam: 0.005 }],
};

function run(optimizer: Optimizer, params: TensorRecord, from: number, to: number): void {
  for (let step = from + 1; step <= to; step++) optimizer.update(params, gradients(params, step));
}

const KINDS = {
  A2S: (kernel: Kernel) => new A2S(BLEND, { kernel }),
  "A2S with every feature": (kernel: Kernel) => new A2S(FEATURES, { kernel }),
  Adam: (kernel: Kernel) => new Adam({ learningRate: 0.01 }, { kernel }),
  AdamW: (kernel: Kernel) =>
    new Adam(
      {
        learningRate: cosineDecaySchedule({ initValue: 0.01, decaySteps: 20 }),
        weightDecay: 0.05,
        clipNorm: 0.5,
      },
      { kernel },
    ),
  RMSProp: (kernel: Kernel) => new RMSProp({ learningRate: 0.01, decay: 0.8, clipNorm: 0.7 }, { kernel }),
  SGDMomentum: (kernel: Kernel) =>
    new SGDMomentum(
      {
        learningRate: exponentialDecay({ initValue: 0.02, transitionSteps: 5, decayRate: 0.7 }),
        momentum: 0.7,
        weightDecay: 0.01,
      },
      { kernel },
    ),
};

function trajectory(
  kind: keyof typeof KINDS,
  kernel: Kernel,
  dtype: "float32" | "float64",
  steps = 25,
): TensorRecord {
  const params = makeParams(dtype);
  run(KINDS[kind](kernel), params, 0, steps);
  return params;
}

describe("fused and generic kernels", () => {
  test.each(
    Object.keys(KINDS) as (keyof typeof KINDS)[],
  )("%s: the fused loop equals core's transforms (generic kernel) bit for bit in float64", (kind) => {
    expect(trajectory(kind, "fused", "float64")).toEqual(trajectory(kind, "generic", "float64"));
  });

  const FLOAT32_PAIRS = [
    // The generic path rounds after every operation, the fused loop once per stored value.
    ["the fused loop (float64 intermediates)", "fused", "generic"],
    // The SIMD kernels round every operation in float32, the fused loop once per stored value.
    ["the SIMD kernels (float32 arithmetic)", "simd", "fused"],
  ] as const;
  test.each(
    (Object.keys(KINDS) as (keyof typeof KINDS)[]).flatMap((kind) =>
      FLOAT32_PAIRS.map((pair) => [kind, ...pair] as const),
    ),
  )("%s: in float32 %s stays within 1e-6 of the %s kernel", (kind, _, kernel, other) => {
    const a = trajectory(kind, kernel, "float32");
    const b = trajectory(kind, other, "float32");
    for (const name of Object.keys(b)) {
      const x = a[name] as Float32Array;
      const y = b[name] as Float32Array;
      // 25 steps of float32 rounding (6e-8 each) in every operation of one of the two.
      for (let i = 0; i < x.length; i++)
        expect(Math.abs((x[i] as number) - (y[i] as number))).toBeLessThan(1e-6);
    }
    // Not the same computation: the two do not round alike.
    expect(a).not.toEqual(b);
  });

  test("the SIMD kernels run A2S and the baselines on float32 tensors, the fused loop on float64 ones; any other algorithm, and the automatic switch, the generic kernel", () => {
    expect(new A2S().kernel).toBe("simd");
    expect(new A2S({}, { kernel: "fused" }).kernel).toBe("fused");
    expect(new Adam({}, { kernel: "generic" }).kernel).toBe("generic");
    expect(new A2S({ switchIter: "auto" }).kernel).toBe("generic");
    for (const [dtype, kernel] of [
      ["float32", "simd"],
      ["float64", "fused"],
    ] as const) {
      const optimizer = new RMSProp();
      run(optimizer, makeParams(dtype), 0, 1);
      expect(optimizer.kernel, dtype).toBe(kernel);
    }
    const mixed = new SGDMomentum();
    run(mixed, { W: new Float32Array(3), b: new Float64Array(2) }, 0, 1);
    expect(mixed.kernel).toBe("fused");
  });
});

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
    expect(optimizer.algorithm).toBe("A2S");
  });

  test.each(["fused", "generic"] as const)("diagnostics follow the seed's formulas (%s)", (kernel) => {
    const optimizer = new A2S({ switchIter: 0, blendIters: 2, curvatureK: 0.5 }, { kernel });
    expect(optimizer.diagnostics).toBeUndefined();
    const p = { x: Float64Array.of(1) };
    optimizer.update(p, { x: Float64Array.of(2) });
    expect(optimizer.diagnostics).toMatchObject({
      t: 1,
      w: 0.5,
      curvature: 0,
      lrScale: 1,
      lrAdam: 0.001,
      lrSgd: 0.01,
      clipFactor: 1,
    });
    // m = 0.2, v = 0.004, so mHat = 2, vHat = 4; buf = 2.
    expect(p.x[0]).toBeCloseTo(1 - (0.5 * (0.001 * 2)) / (2 + 1e-8) - 0.5 * 0.01 * 2, 15);
    optimizer.update(p, { x: Float64Array.of(5) });
    expect(optimizer.diagnostics).toMatchObject({
      t: 2,
      w: 0,
      curvature: 3,
      lrScale: 0.4,
      lrAdam: 0.001 * 0.4,
      lrSgd: 0.01 * 0.4,
    });
  });

  test("diagnostics report the scheduled rates and the clipping factor", () => {
    const optimizer = new A2S({
      lrAdam: cosineDecaySchedule({ initValue: 0.1, decaySteps: 2 }),
      clipNorm: 1,
      curvatureK: 0,
    });
    const p = { x: Float64Array.of(0, 0) };
    optimizer.update(p, { x: Float64Array.of(3, 4) });
    expect(optimizer.diagnostics).toMatchObject({ lrAdam: 0.05, clipFactor: 0.2, gradientNorm: 5 });
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

  test("keeps its own copy of the previous gradient when the caller refills a buffer", () => {
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
  ] as const)("the same array as parameter and gradient: the stored previous gradient is the gradient, not the updated parameter (%s)", (kernel) => {
    const optimizer = new A2S({ curvatureK: 1 }, { kernel });
    const shared = Float64Array.of(1, 2);
    optimizer.update({ x: shared }, { x: shared });
    const afterFirst = Float64Array.from(shared);
    optimizer.update({ x: shared }, { x: shared });
    // Curvature = |g2 - g1| where g1 = (1, 2) and g2 = the parameter after step 1.
    const expected = Math.hypot((afterFirst[0] as number) - 1, (afterFirst[1] as number) - 2);
    expect(optimizer.diagnostics?.curvature).toBeCloseTo(expected, 15);
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

  test("refuses bad settings, naming them", () => {
    expect(() => new A2S({}, { kernel: "gpu" as Kernel })).toThrow(
      expect.objectContaining({ option: "kernel" }),
    );
    expect(() => new A2S({}, { shapes: { W: [-1] } })).toThrow(
      expect.objectContaining({ option: "shapes.W" }),
    );
    expect(() => new A2S({}, { allReduce: 3 as never })).toThrow(
      expect.objectContaining({ option: "allReduce" }),
    );
    expect(() => new Optimizer({} as never)).toThrow(InvalidOptionError);
  });

  test("a shape given in the settings must hold the array's length, and is recorded in checkpoints", () => {
    const optimizer = new A2S({}, { shapes: { W: [2, 3] } });
    expect(() => optimizer.update({ W: new Float32Array(5) }, { W: new Float32Array(5) })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "W", kind: "length" }),
    );
    optimizer.update({ W: new Float32Array(6) }, { W: new Float32Array(6) });
    expect(optimizer.t).toBe(1);
  });

  test.each([
    "simd",
    "fused",
    "generic",
  ] as const)("declare fixes the tensor set before any step, and the run is that of an undeclared optimizer (%s)", (kernel) => {
    const params = makeParams("float32");
    const declared = new A2S(BLEND, { kernel, shapes: { W: [2, 3] } });
    declared.declare(params);
    expect(declared.t).toBe(0);
    const saved = decodeCheckpoint(declared.saveCheckpoint());
    expect(saved.tensors.map((t) => [t.name, t.shape])).toEqual([
      ["W", [2, 3]],
      ["b", [3]],
      ["s", [1]],
    ]);
    expect(() => declared.declare(params)).toThrow(InvalidCallError);
    const other = new A2S(BLEND);
    const longer = { ...params, b: new Float32Array(4) };
    other.update(longer, gradients(longer, 1));
    expect(() => declared.loadCheckpoint(other.saveCheckpoint())).toThrow(
      expect.objectContaining({ name: "CheckpointError", problem: "tensors" }),
    );
    const plain = cloneRecord(params);
    run(declared, params, 0, 12);
    run(new A2S(BLEND, { kernel }), plain, 0, 12);
    expect(params).toEqual(plain);
  });

  test("declare refuses what update refuses, and a group that takes nothing waits for the first update", () => {
    expect(() => new A2S().declare({ x: Int32Array.of(1) } as never)).toThrow(TensorMismatchError);
    expect(() => new A2S({}, { shapes: { W: [4] } }).declare(makeParams("float64"))).toThrow(
      expect.objectContaining({ tensor: "W", kind: "length" }),
    );
    const optimizer = new A2S({ groups: [{ tensors: ["typo"], weightDecay: 0 }] });
    const params = makeParams("float64");
    optimizer.declare(params);
    expect(() => optimizer.update(params, gradients(params, 1))).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "groups[0].tensors" }),
    );
    expect(optimizer.t).toBe(0);
  });

  test("options are the seed's defaults overlaid with what was given, additions off", () => {
    expect(new A2S({ lrSgd: 0.05 }).options).toEqual({
      lrAdam: 0.001,
      lrSgd: 0.05,
      beta1: 0.9,
      beta2: 0.999,
      momentum: 0.9,
      epsilon: 1e-8,
      weightDecay: 0,
      curvatureK: 0.05,
      clipNorm: Number.POSITIVE_INFINITY,
      switchIter: 1500,
      blendIters: 3000,
      switchMinSteps: 1000,
      switchWindow: 500,
      switchTolerance: 0.25,
      windowSize: 10,
    });
  });
});
