/**
 * The SIMD kernels inside the optimizer: the views API (`bind`), the guard, checkpoints
 * across kernels and loads into state that lives in the kernels' memory, sharding, and
 * the fallback where the engine has no WebAssembly.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { relativeError, TOLERANCE } from "@a2s/conformance";
import type { FloatArray, PreparedStep } from "@a2s/core";
import { mulberry32 } from "@a2s/random";
import { describe, expect, test } from "vitest";
import { addTensorSums, clippedDifferenceFromSums, FROM_SUMS_MIN_SHARE } from "../src/fused-step.js";
import * as typed from "../src/index.js";
import {
  A2S,
  type A2SOptions,
  Adam,
  type AllReduce,
  decodeCheckpoint,
  type Kernel,
  NonFiniteGradientError,
  Optimizer,
  RMSProp,
  TensorMismatchError,
  type TensorRecord,
} from "../src/index.js";
import { trajectory as fallbackTrajectory } from "./fallback/trajectory.mjs";
import { cloneRecord, gradients, rendezvous } from "./helpers.js";

/** Crosses pure Adam, the blend and pure SGD, with every feature on. */
const OPTIONS: Partial<A2SOptions> = {
  switchIter: 5,
  blendIters: 10,
  curvatureK: 0.5,
  lrAdam: 0.01,
  lrSgd: 0.02,
  weightDecay: 0.01,
  clipNorm: 2,
  groups: [{ tensors: ["b"], weightDecay: 0, lrAdam: 0.005 }],
};

/** Lengths that run the kernels' vector loops and their tails. */
/** Clipping off: gradients reach the moments unscaled. */
const UNCLIPPED: Partial<A2SOptions> = { ...OPTIONS, clipNorm: Number.POSITIVE_INFINITY };

function params32(seed = 1): Record<string, Float32Array> {
  const values = (n: number, k: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + k * 3.3 + i * 0.61));
  return { W: values(37, 0), b: values(8, 1), s: values(1, 2) };
}

function run(optimizer: Optimizer, params: TensorRecord, from: number, to: number): void {
  for (let step = from + 1; step <= to; step++) optimizer.update(params, gradients(params, step));
}

/** Runs the steps on bound arrays: the gradients are written into `grads`, as a model would. */
function runBound(
  optimizer: Optimizer,
  bound: { params: TensorRecord; grads: TensorRecord },
  from: number,
  to: number,
) {
  for (let step = from + 1; step <= to; step++) {
    for (const [name, g] of Object.entries(gradients(bound.params, step)))
      (bound.grads[name] as Float32Array).set(g);
    optimizer.update(bound.params, bound.grads);
  }
}

function worstError(actual: TensorRecord, expected: TensorRecord): number {
  return Math.max(
    ...Object.keys(expected).map((name) =>
      relativeError(actual[name] as Float32Array, expected[name] as Float32Array),
    ),
  );
}

describe("bind: parameters and gradients in the kernels' memory", () => {
  test("a run on the bound arrays equals the run that copies the caller's arrays, bit for bit; the arrays given are left alone", () => {
    const given = params32();
    const original = cloneRecord(given);
    const optimizer = new A2S(OPTIONS);
    const bound = optimizer.bind(given);
    expect(optimizer.kernel).toBe("simd");
    expect(bound.params.W).not.toBe(given.W);
    expect(bound.params).toEqual(given);
    runBound(optimizer, bound, 0, 20);

    const copied = cloneRecord(original);
    run(new A2S(OPTIONS), copied, 0, 20);
    expect(bound.params).toEqual(copied);
    expect(given).toEqual(original);
    expect(worstError(bound.params, original)).toBeGreaterThan(0.01);
  });

  test("the views share one memory, stay the same arrays, and a second bind copies the values given into them", () => {
    const optimizer = new Adam();
    const first = optimizer.bind(params32());
    const buffers = new Set(
      [...Object.values(first.params), ...Object.values(first.grads)].map((a) => a.buffer),
    );
    expect(buffers.size).toBe(1);
    expect(Object.values(first.params).every((a) => a instanceof Float32Array)).toBe(true);
    const again = optimizer.bind(params32(2));
    expect(again.params.W).toBe(first.params.W);
    expect(again.grads.s).toBe(first.grads.s);
    expect(first.params).toEqual(params32(2));
  });

  test("after fromCheckpoint, bind continues the run", () => {
    const expected = params32();
    run(new RMSProp({ learningRate: 0.01 }), expected, 0, 12);

    const params = params32();
    const source = new RMSProp({ learningRate: 0.01 });
    run(source, params, 0, 5);
    const resumed = Optimizer.fromCheckpoint(source.saveCheckpoint());
    const bound = resumed.bind(params);
    runBound(resumed, bound, 5, 12);
    expect(bound.params).toEqual(expected);
  });

  test("bind fixes the tensor set like declare, and checks parameters against the tensors held", () => {
    const optimizer = new A2S();
    optimizer.bind(params32());
    expect(optimizer.t).toBe(0);
    expect(() => optimizer.declare(params32())).toThrow(
      expect.objectContaining({ name: "InvalidCallError" }),
    );
    expect(() => optimizer.bind({ ...params32(), b: new Float32Array(9) })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "b", kind: "length" }),
    );
    const { s: _, ...missing } = params32();
    expect(() => optimizer.bind(missing)).toThrow(expect.objectContaining({ tensor: "s", kind: "missing" }));
    expect(() => optimizer.bind({ ...params32(), W: new Float64Array(37) })).toThrow(
      expect.objectContaining({ tensor: "W", kind: "dtype" }),
    );
    expect(() => optimizer.bind({ x: Int32Array.of(1) } as never)).toThrow(TensorMismatchError);
  });

  test.each([
    ["float64 tensors", "simd", true],
    ["the fused kernel", "fused", false],
  ] as const)("%s: bind returns the arrays given and zero gradients of their dtype", (_, kernel, float64) => {
    const given: TensorRecord = float64 ? { W: Float64Array.of(1, 2), b: Float64Array.of(3) } : params32();
    const optimizer = new A2S({}, { kernel });
    const bound = optimizer.bind(given);
    expect(bound.params).toBe(given);
    expect(bound.grads.W).toEqual(
      given.W instanceof Float64Array ? new Float64Array(2) : new Float32Array(37),
    );
    expect(optimizer.kernel).toBe("fused");
  });
});

describe("the guard in the SIMD kernels", () => {
  test.each([
    ["A2S", () => new A2S(UNCLIPPED)],
    ["Adam", () => new Adam({ weightDecay: 0.01 })],
    ["RMSProp", () => new RMSProp()],
  ] as const)("%s: a finite gradient whose square overflows float32 is refused, and nothing changes (copied and bound arrays)", (_, make) => {
    for (const bind of [false, true]) {
      const optimizer = make();
      const given = params32();
      const { params, grads } = bind ? optimizer.bind(given) : { params: given, grads: gradients(given, 4) };
      run(optimizer, params, 0, 3);
      const before = optimizer.saveCheckpoint();
      const kept = cloneRecord(params);
      for (const [name, g] of Object.entries(gradients(params, 4))) (grads[name] as Float32Array).set(g);
      // A finite float32 whose square (1e60) is not: v would overflow.
      (grads.W as Float32Array)[17] = 1e30;
      expect(() => optimizer.update(params, grads)).toThrow(
        expect.objectContaining({ name: "NonFiniteResultError", tensor: "W", slot: "v", index: 17 }),
      );
      expect(params).toEqual(kept);
      expect(optimizer.saveCheckpoint()).toEqual(before);
      expect(optimizer.t).toBe(3);
      expect(optimizer.kernel).toBe("simd");
      // Nothing was left behind: the next steps are those of a run that never saw the refusal.
      run(optimizer, params, 3, 8);
      const plain = params32();
      run(make(), plain, 0, 8);
      expect(params).toEqual(plain);
    }
  });

  test("a step whose float32 intermediates would overflow but whose results are finite is the fused loop's step, bit for bit", () => {
    const start = params32();
    const source = new A2S(UNCLIPPED, { kernel: "fused" });
    run(source, start, 0, 3);
    const bytes = source.saveCheckpoint();
    const grads = gradients(start, 4);
    // Its square (1e40) overflows float32; (1 − β2)·g² = 1e37 does not.
    (grads.W as Float32Array)[3] = 1e20;
    const results = (["simd", "fused"] as const).map((kernel) => {
      const optimizer = Optimizer.fromCheckpoint(bytes, { kernel });
      const params = cloneRecord(start);
      optimizer.update(params, grads);
      expect(optimizer.kernel).toBe(kernel);
      return { params, state: optimizer.saveCheckpoint() };
    });
    const [simd, fused] = results as [(typeof results)[0], (typeof results)[0]];
    expect(simd.params).toEqual(fused.params);
    expect(simd.state).toEqual(fused.state);
    const v = decodeCheckpoint(simd.state).tensors.find((t) => t.name === "W")?.slots.v as Float32Array;
    expect(v[3]).toBeGreaterThan(1e36);
    expect(Number.isFinite(v[3])).toBe(true);
  });

  test.each([
    5, 36,
  ])("a NaN gradient at W[%i]: NonFiniteGradientError naming it, and nothing changes", (index) => {
    const optimizer = new A2S(OPTIONS);
    const params = params32();
    run(optimizer, params, 0, 2);
    const before = optimizer.saveCheckpoint();
    const kept = cloneRecord(params);
    const grads = gradients(params, 3);
    (grads.W as Float32Array)[index] = Number.NaN;
    (grads.s as Float32Array)[0] = Number.POSITIVE_INFINITY;
    expect(() => optimizer.update(params, grads)).toThrow(NonFiniteGradientError);
    expect(() => optimizer.update(params, grads)).toThrow(
      expect.objectContaining({ tensor: "W", index, value: Number.NaN }),
    );
    expect(params).toEqual(kept);
    expect(optimizer.saveCheckpoint()).toEqual(before);
  });

  test("the same array as parameter and gradient: the stored previous gradient is the gradient, not the updated parameter", () => {
    const optimizer = new A2S({ curvatureK: 1 });
    const shared = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    optimizer.update({ x: shared }, { x: shared });
    const g1 = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const afterFirst = Float32Array.from(shared);
    optimizer.update({ x: shared }, { x: shared });
    expect(optimizer.kernel).toBe("simd");
    const expected = Math.hypot(...Array.from(afterFirst, (p, i) => p - (g1[i] as number)));
    // Pass 1 sums float32 squares: within a few float32 roundings of the exact norm.
    expect(Math.abs((optimizer.diagnostics?.curvature as number) - expected) / expected).toBeLessThan(1e-6);
  });
});

describe("checkpoints and the kernels' memory", () => {
  test.each([
    ["simd", "fused"],
    ["simd", "generic"],
    ["fused", "simd"],
    ["generic", "simd"],
  ] as const)("saved by %s, continued by %s: the state crosses exactly, the run stays within the float32 tolerance", (from, to) => {
    const expected = params32();
    run(new A2S(OPTIONS, { kernel: from }), expected, 0, 20);

    const params = params32();
    const source = new A2S(OPTIONS, { kernel: from });
    run(source, params, 0, 8);
    const bytes = source.saveCheckpoint();
    const target = Optimizer.fromCheckpoint(bytes, { kernel: to });
    // A refused step moves the loaded state into the kernels' memory and changes nothing.
    const grads = gradients(params, 9);
    (grads.b as Float32Array)[2] = Number.NaN;
    expect(() => target.update(params, grads)).toThrow(NonFiniteGradientError);
    expect(target.saveCheckpoint()).toEqual(bytes);
    run(target, params, 8, 20);
    expect(target.kernel).toBe(to);
    expect(worstError(params, expected)).toBeLessThanOrEqual(TOLERANCE.float32);
  });

  test("a checkpoint loaded into an optimizer whose state lives in the kernels' memory is what the next steps start from", () => {
    const expected = params32();
    run(new A2S(OPTIONS), expected, 0, 20);

    const params = params32();
    const optimizer = new A2S(OPTIONS);
    const bound = optimizer.bind(params);
    runBound(optimizer, bound, 0, 8);
    const bytes = optimizer.saveCheckpoint();
    const at8 = cloneRecord(bound.params);
    runBound(optimizer, bound, 8, 14);
    optimizer.loadCheckpoint(bytes);
    for (const [name, values] of Object.entries(at8)) (bound.params[name] as Float32Array).set(values);
    runBound(optimizer, bound, 8, 20);
    expect(bound.params).toEqual(expected);
  });

  test("float64 state loaded for float32 tensors is cast and stepped by the SIMD kernels", () => {
    const params64 = Object.fromEntries(
      Object.entries(params32()).map(([k, v]) => [k, Float64Array.from(v)]),
    );
    const source = new Adam({ learningRate: 0.01 });
    run(source, params64, 0, 5);
    const runs = (["simd", "fused"] as const).map((kernel) => {
      const params = Object.fromEntries(Object.entries(params64).map(([k, v]) => [k, Float32Array.from(v)]));
      const optimizer = Optimizer.fromCheckpoint(source.saveCheckpoint(), { kernel });
      run(optimizer, params, 5, 15);
      expect(optimizer.kernel).toBe(kernel);
      expect(decodeCheckpoint(optimizer.saveCheckpoint()).tensors[0]?.slots.m).toBeInstanceOf(Float32Array);
      return params;
    });
    expect(worstError(runs[0] as TensorRecord, runs[1] as TensorRecord)).toBeLessThanOrEqual(
      TOLERANCE.float32,
    );
  });
});

describe("sharded through allReduce", () => {
  test("two SIMD optimizers holding [W, b] and [s] take the steps of one holding all three, bit for bit", async () => {
    // Both reductions in play (clipping, then the curvature); groups would take no tensor in one shard.
    const { groups: _, ...options } = OPTIONS;
    const expected = params32();
    run(new A2S(options), expected, 0, 20);

    const shards = [["W", "b"], ["s"]];
    const exchanges = rendezvous(shards.length);
    const optimizers = shards.map((_, k) => new A2S(options, { allReduce: exchanges[k] as AllReduce }));
    const params = params32();
    const pick = (record: TensorRecord, names: readonly string[]) =>
      Object.fromEntries(names.map((name) => [name, record[name] as Float32Array]));
    for (let step = 1; step <= 20; step++) {
      const grads = gradients(params, step);
      // The sums of the shards added in shard order are the sums of one optimizer, added in tensor order.
      await Promise.all(
        shards.map((names, k) => optimizers[k]?.updateAsync(pick(params, names), pick(grads, names))),
      );
    }
    expect(optimizers.map((o) => o.kernel)).toEqual(["simd", "simd"]);
    expect(params).toEqual(expected);
  });
});

describe("without WebAssembly", () => {
  test("the default runs the fused loop, with its results, and bind hands back the arrays given", () => {
    const script = fileURLToPath(new URL("./fallback/trajectory.mjs", import.meta.url));
    // A real engine without WebAssembly: Node with its WebAssembly object removed.
    const child = spawnSync(process.execPath, ["--no-expose-wasm", script], { encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const seen = JSON.parse(child.stdout);
    expect(seen.webAssembly).toBe("undefined");
    expect(seen.kernel).toBe("fused");
    expect(seen.bindReturnsGiven).toBe(true);
    const fused = fallbackTrajectory(typed, { kernel: "fused" as Kernel });
    expect(fused.kernel).toBe("fused");
    expect(seen.params).toEqual(fused.params);
    // Here, with WebAssembly, the default takes another path to nearby values.
    const simd = fallbackTrajectory(typed, {});
    expect(simd.kernel).toBe("simd");
    expect(simd.params).not.toEqual(fused.params);
  });
});

describe("clipping's Σ(c·g − prev)² taken from pass 1's sums", () => {
  const sums = { gradSquares: 4, differenceSquares: 0, paramSquares: 0, gradPrev: 1, prevSquares: 3 };
  const float32 = { dtypes: ["float32", "float32"] } as unknown as PreparedStep<FloatArray>;

  test("is c²Σg² − 2cΣg·prev + Σprev² for float32 tensors", () => {
    // 0.25·4 − 2·0.5·1 + 3 = 3, a share of 3/4 of c²Σg² + Σprev² = 4.
    expect(clippedDifferenceFromSums(float32, sums, 0.5)).toBe(3);
  });

  test("adds tensors' sums in order, with Σg·prev and Σprev² only when every tensor gave them", () => {
    const a = { sumSquares: 1, diffSquares: 2, gradPrev: 0.5, prevSquares: 3, paramSquares: 4 };
    const b = { sumSquares: 10, diffSquares: 20, gradPrev: -1, prevSquares: 30 };
    expect(addTensorSums([a, b])).toEqual({
      gradSquares: 11,
      differenceSquares: 22,
      paramSquares: 4,
      gradPrev: -0.5,
      prevSquares: 33,
    });
    // A baseline's pass gives only Σg² (and Σp²): nothing for the difference.
    expect(addTensorSums([a, { sumSquares: 10 }])).toEqual({
      gradSquares: 11,
      differenceSquares: 2,
      paramSquares: 4,
    });
  });

  test("is left to the exact pass for a float64 tensor, for sums without Σg·prev, and where it cancels", () => {
    const mixed = { dtypes: ["float32", "float64"] } as unknown as PreparedStep<FloatArray>;
    expect(clippedDifferenceFromSums(mixed, sums, 0.5)).toBeUndefined();
    const { gradPrev: _, ...withoutProducts } = sums;
    expect(clippedDifferenceFromSums(float32, withoutProducts, 0.5)).toBeUndefined();
    // 0.25·4 − 2·0.5·3.9 + 3 = 0.1: a share of 0.025, under FROM_SUMS_MIN_SHARE.
    expect(FROM_SUMS_MIN_SHARE).toBeGreaterThan(0.025);
    expect(clippedDifferenceFromSums(float32, { ...sums, gradPrev: 3.9 }, 0.5)).toBeUndefined();
  });

  /**
   * Gradients that barely change while clipped every step: c·g is within 1e-4 of prev
   * elementwise, so Σ(c·g − prev)² is about 1e-8 of c²Σg² + Σprev², below what the kernels'
   * float32 block sums resolve. A curvature factor that makes the curvature count then
   * shows any step that took the difference from the sums instead of the exact pass.
   */
  test.each([
    "simd",
    "fused",
  ] as const)("%s: gradients whose difference cancels in the sums match the generic kernel (the SIMD kernels' float32 sums need the exact pass here)", (kernel) => {
    const options: Partial<A2SOptions> = { clipNorm: 1, curvatureK: 5000, lrAdam: 0.01 };
    const base = params32(3);
    const start = params32(5);
    const make = (k: Kernel) => new A2S(options, { kernel: k });
    const fast = make(kernel);
    const generic = make("generic");
    const a = cloneRecord(start);
    const b = cloneRecord(start);
    for (let step = 1; step <= 20; step++) {
      const r = mulberry32(step);
      const g = Object.fromEntries(
        Object.entries(base).map(([name, x]) => [
          name,
          Float32Array.from(x, (v) => 40 * v * (1 + 1e-4 * (2 * r() - 1))),
        ]),
      );
      fast.update(a, g);
      generic.update(b, g);
    }
    // The curvature was in play: a larger one than the generic kernel's would show beyond the tolerance.
    expect(fast.diagnostics?.lrScale).toBeLessThan(0.9);
    expect(worstError(a, b)).toBeLessThanOrEqual(TOLERANCE.float32);
  });
});
