import {
  a2sSchedule,
  a2sUpdate,
  adamUpdate,
  CheckpointError,
  decodeCheckpoint,
  type FloatArray,
  NonFiniteGradientError,
  resolveA2SOptions,
  resolveAdamOptions,
  resolveRMSPropOptions,
  resolveSGDMomentumOptions,
  rmspropUpdate,
  sgdMomentumUpdate,
  TensorMismatchError,
} from "@a2s/core";
import { describe, expect, test } from "vitest";
import { A2S, Adam, type GraphOptimizer, RMSProp, SGDMomentum } from "../src/optimizers.js";
import { hostOps } from "./host-ops.js";

const NAMES = ["w", "b"] as const;
const start = () => ({
  w: Float64Array.from([0.5, -1.5, 2, 0.25, -0.75]),
  b: Float64Array.from([0.1, -0.2]),
});
/** Gradients that change sign and size from step to step, so the curvature is never 0. */
const gradsAt = (t: number) => ({
  w: Float64Array.from({ length: 5 }, (_, i) => Math.sin(t * (i + 1)) + 0.1 * i),
  b: Float64Array.from({ length: 2 }, (_, i) => Math.cos(t + i) * 2),
});

/** core's update on host float64 arrays: what the recorded graph must reproduce. */
function a2sReference(options: Parameters<typeof resolveA2SOptions>[0], steps: number) {
  const resolved = resolveA2SOptions(options);
  type Pair = { w: Float64Array; b: Float64Array };
  const z = (): Pair => ({ w: new Float64Array(5), b: new Float64Array(2) });
  let params: Pair = start();
  let m = z();
  let v = z();
  let buf = z();
  let prev: Record<string, Float64Array> | undefined;
  const trace: { params: Pair; curvature: number; lrScale: number }[] = [];
  for (let t = 1; t <= steps; t++) {
    const g = gradsAt(t);
    const r = a2sUpdate(
      hostOps,
      resolved,
      a2sSchedule(t, resolved),
      NAMES.map((n) => ({
        param: params[n],
        grad: g[n],
        slots: { m: m[n], v: v[n], buf: buf[n], prev: prev?.[n] },
      })),
    );
    const pick = (f: (i: number) => Float64Array): Pair => ({ w: f(0), b: f(1) });
    params = pick((i) => r.tensors[i]!.param);
    m = pick((i) => r.tensors[i]!.slots.m);
    v = pick((i) => r.tensors[i]!.slots.v);
    buf = pick((i) => r.tensors[i]!.slots.buf);
    prev = g;
    trace.push({ params, curvature: r.curvature[0]!, lrScale: r.lrScale[0]! });
  }
  return trace;
}

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(
      worst,
      Math.abs((a[i] as number) - (b[i] as number)) / Math.max(1, Math.abs(b[i] as number)),
    );
  }
  return worst;
}

// switchIter 2 and blendIters 3: steps 1-2 pure Adam, 3-4 blending, 5+ pure SGD.
const PHASES = { switchIter: 2, blendIters: 3, curvatureK: 0.5 };

describe("A2S as an ONNX graph", () => {
  test("float64 reproduces core's update through every phase, with its diagnostics", async () => {
    const reference = a2sReference(PHASES, 8);
    const optimizer = new A2S(PHASES);
    const params = start();
    for (let t = 1; t <= 8; t++) {
      await optimizer.update(params, gradsAt(t));
      const expected = reference[t - 1]!;
      // Same IEEE double operations in the same order; only ReduceSumSquare may add in
      // another order, a few units in the last place of the curvature.
      for (const n of NAMES) expect(maxRelative(params[n], expected.params[n])).toBeLessThan(1e-14);
      const d = optimizer.diagnostics!;
      expect(d.t).toBe(t);
      expect(d.w).toBe(a2sSchedule(t, resolveA2SOptions(PHASES)).w);
      expect(d.curvature).toBeCloseTo(expected.curvature, 12);
      expect(d.lrScale).toBeCloseTo(expected.lrScale, 12);
      expect(d.lrAdam).toBeCloseTo(0.001 * expected.lrScale, 15);
    }
    // Step 1 ran core's first-step branch: no previous gradient, curvature exactly 0.
    expect(reference[0]!.curvature).toBe(0);
    await optimizer.dispose();
  });

  test("float32 follows the float64 trajectory to float32 rounding", async () => {
    const reference = a2sReference(PHASES, 8);
    const optimizer = new A2S(PHASES);
    const params = { w: Float32Array.from(start().w), b: Float32Array.from(start().b) };
    for (let t = 1; t <= 8; t++) {
      const g = gradsAt(t);
      await optimizer.update(params, { w: Float32Array.from(g.w), b: Float32Array.from(g.b) });
    }
    // Each step rounds a few dozen float32 operations (6e-8 each) on values of order 1;
    // eight steps stay well under 1e-5.
    for (const n of NAMES) expect(maxRelative(params[n], reference[7]!.params[n])).toBeLessThan(1e-5);
    await optimizer.dispose();
  });

  test("switchIter 0 and curvatureK 0 also match", async () => {
    const options = { switchIter: 0, blendIters: 2, curvatureK: 0 };
    const reference = a2sReference(options, 4);
    const optimizer = new A2S(options);
    const params = start();
    for (let t = 1; t <= 4; t++) await optimizer.update(params, gradsAt(t));
    for (const n of NAMES) expect(maxRelative(params[n], reference[3]!.params[n])).toBeLessThan(1e-14);
    expect(optimizer.diagnostics!.lrScale).toBe(1);
  });
});

describe("the baselines as ONNX graphs", () => {
  const cases: [
    string,
    () => GraphOptimizer,
    (
      t: number,
      p: Float64Array,
      g: Float64Array,
      s: Record<string, Float64Array>,
    ) => { param: Float64Array; slots: Record<string, Float64Array> },
    string[],
  ][] = [
    [
      "Adam",
      () => new Adam({ learningRate: 0.01 }),
      (t, p, g, s) =>
        adamUpdate(
          hostOps,
          resolveAdamOptions({ learningRate: 0.01 }),
          t,
          p,
          g,
          s as { m: Float64Array; v: Float64Array },
        ),
      ["m", "v"],
    ],
    [
      "RMSProp",
      () => new RMSProp(),
      (_t, p, g, s) => rmspropUpdate(hostOps, resolveRMSPropOptions(), p, g, s as { v: Float64Array }),
      ["v"],
    ],
    [
      "SGDMomentum",
      () => new SGDMomentum(),
      (_t, p, g, s) =>
        sgdMomentumUpdate(hostOps, resolveSGDMomentumOptions(), p, g, s as { buf: Float64Array }),
      ["buf"],
    ],
  ];
  for (const [kind, make, reference, slotNames] of cases) {
    test(`${kind} reproduces core's function in float64`, async () => {
      const optimizer = make();
      expect(optimizer.kind).toBe(kind);
      const params = start();
      const expected: Record<string, { param: Float64Array; slots: Record<string, Float64Array> }> =
        Object.fromEntries(
          NAMES.map((n) => [
            n,
            {
              param: start()[n],
              slots: Object.fromEntries(slotNames.map((s) => [s, new Float64Array(params[n].length)])),
            },
          ]),
        );
      for (let t = 1; t <= 5; t++) {
        const g = gradsAt(t);
        await optimizer.update(params, g);
        for (const n of NAMES) expected[n] = reference(t, expected[n]!.param, g[n], expected[n]!.slots);
      }
      // Elementwise IEEE double operations in core's order: identical results.
      for (const n of NAMES) expect(maxRelative(params[n], expected[n]!.param)).toBe(0);
      await optimizer.dispose();
    });
  }
});

describe("bad input changes nothing", () => {
  async function started() {
    const optimizer = new A2S(PHASES);
    const params = start();
    for (let t = 1; t <= 3; t++) await optimizer.update(params, gradsAt(t));
    return {
      optimizer,
      params,
      before: optimizer.saveCheckpoint(),
      snapshot: { w: params.w.slice(), b: params.b.slice() },
    };
  }
  const cases: [string, (g: Record<string, FloatArray>) => Record<string, FloatArray>, unknown, object][] = [
    [
      "a NaN gradient",
      (g) => ({ ...g, b: Float64Array.from([0, Number.NaN]) }),
      NonFiniteGradientError,
      { tensor: "b", index: 1 },
    ],
    [
      "an infinite gradient",
      (g) => ({ ...g, w: Float64Array.from([1, 2, Infinity, 4, 5]) }),
      NonFiniteGradientError,
      { tensor: "w", index: 2 },
    ],
    ["a missing gradient", (g) => ({ w: g.w! }), TensorMismatchError, { tensor: "b", kind: "missing" }],
    [
      "an extra gradient",
      (g) => ({ ...g, c: new Float64Array(1) }),
      TensorMismatchError,
      { tensor: "c", kind: "unexpected" },
    ],
    [
      "a short gradient",
      (g) => ({ ...g, w: new Float64Array(4) }),
      TensorMismatchError,
      { tensor: "w", kind: "length" },
    ],
    [
      "a float32 gradient for float64 parameters",
      (g) => ({ ...g, b: new Float32Array(2) }),
      TensorMismatchError,
      { tensor: "b", kind: "dtype" },
    ],
    [
      "an array that is not a typed float array",
      (g) => ({ ...g, b: [1, 2] as unknown as Float64Array }),
      TensorMismatchError,
      { tensor: "b", kind: "type" },
    ],
  ];
  for (const [label, spoil, errorClass, fields] of cases) {
    test(label, async () => {
      const { optimizer, params, before, snapshot } = await started();
      const error = await optimizer.update(params, spoil(gradsAt(4))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(errorClass as new () => Error);
      expect(error).toMatchObject(fields);
      expect(params).toEqual(snapshot);
      expect(optimizer.saveCheckpoint()).toEqual(before);
      expect(optimizer.t).toBe(3);
      // And the optimizer still works.
      await optimizer.update(params, gradsAt(4));
      expect(optimizer.t).toBe(4);
    });
  }

  test("parameters of another length than the first step's", async () => {
    const { optimizer, params } = await started();
    const error = await optimizer
      .update({ ...params, w: new Float64Array(6) }, { ...gradsAt(4), w: new Float64Array(6) })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ tensor: "w", kind: "length" });
  });
});

describe("checkpoints", () => {
  test("saved mid-blend and loaded into a fresh optimizer, the trajectory goes on unchanged", async () => {
    const whole = new A2S(PHASES);
    const split = new A2S(PHASES);
    const a = start();
    const b = start();
    for (let t = 1; t <= 3; t++) {
      await whole.update(a, gradsAt(t));
      await split.update(b, gradsAt(t));
    }
    const bytes = split.saveCheckpoint();
    await split.dispose();
    const resumed = A2S.fromCheckpoint(bytes);
    expect(resumed).toBeInstanceOf(A2S);
    expect(resumed.options).toEqual(resolveA2SOptions(PHASES));
    expect(resumed.t).toBe(3);
    for (let t = 4; t <= 7; t++) {
      await whole.update(a, gradsAt(t));
      await resumed.update(b, gradsAt(t));
    }
    // The same graph on the same state: bit for bit.
    expect(b).toEqual(a);
    const saved = decodeCheckpoint(resumed.saveCheckpoint(), {
      algorithm: "A2S",
      slots: ["m", "v", "buf", "prev"],
    });
    expect(saved.t).toBe(7);
    expect(saved.tensors.w!.shape).toEqual([5]);
    expect(saved.tensors.b!.slots.prev).toEqual(gradsAt(7).b);
  });

  test("a float64 checkpoint loaded before any update resumes float32 parameters", async () => {
    const source = new A2S(PHASES);
    const a = start();
    for (let t = 1; t <= 3; t++) await source.update(a, gradsAt(t));
    const resumed = new A2S();
    resumed.loadCheckpoint(source.saveCheckpoint());
    const b = { w: Float32Array.from(a.w), b: Float32Array.from(a.b) };
    await resumed.update(b, { w: Float32Array.from(gradsAt(4).w), b: Float32Array.from(gradsAt(4).b) });
    await source.update(a, gradsAt(4));
    const saved = decodeCheckpoint(resumed.saveCheckpoint());
    expect(saved.t).toBe(4);
    expect(saved.tensors.w!.slots.m).toBeInstanceOf(Float32Array);
    // One float32 step from float32-rounded state: float32 rounding of values of order 1.
    expect(maxRelative(b.w, a.w)).toBeLessThan(1e-6);
    // Once an update has run, the element type is fixed.
    await expect(resumed.update(a, gradsAt(5))).rejects.toMatchObject({ tensor: "w", kind: "dtype" });
  });

  test("a checkpoint of another algorithm or with other tensors is refused and nothing changes", async () => {
    const adam = new Adam();
    await adam.update(start(), gradsAt(1));
    const a2s = new A2S();
    const params = start();
    await a2s.update(params, gradsAt(1));
    const before = a2s.saveCheckpoint();
    expect(() => a2s.loadCheckpoint(adam.saveCheckpoint())).toThrow(CheckpointError);
    const other = new A2S();
    await other.update({ x: new Float64Array(3) }, { x: new Float64Array(3) });
    expect(() => a2s.loadCheckpoint(other.saveCheckpoint())).toThrow(/checkpoint holds \[x\]/);
    const damaged = before.slice();
    damaged[40] = (damaged[40] as number) ^ 1;
    expect(() => a2s.loadCheckpoint(damaged)).toThrow(CheckpointError);
    expect(a2s.saveCheckpoint()).toEqual(before);
  });
});
