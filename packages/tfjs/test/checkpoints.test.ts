import { readFileSync } from "node:fs";
import { NoisyQuadratic, relativeError, TOLERANCE } from "@a2s/conformance";
import { A2S as TypedA2S } from "@a2s/typed";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  A2S,
  Adam,
  a2s,
  CheckpointError,
  type CheckpointHeader,
  crc32,
  decodeCheckpoint,
  encodeCheckpoint,
  linearSchedule,
  Optimizer,
} from "../src/index.js";
import { useBackend } from "./backends.js";

beforeAll(() => useBackend("cpu"));
afterEach(() => tf.disposeVariables());

const fromHex = (hex: string) => new Float64Array(new Uint8Array(Buffer.from(hex, "hex")).buffer);

/** Steps `optimizer` on the conformance problem from step `from + 1` through `to`. */
function run(
  optimizer: tf.Optimizer,
  problem: NoisyQuadratic,
  variables: Record<string, tf.Variable>,
  from: number,
  to: number,
) {
  for (let step = from + 1; step <= to; step++) {
    const host = Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [k, Float64Array.from(v.dataSync())]),
    );
    const grads = problem.gradient(host, step);
    tf.tidy(() =>
      optimizer.applyGradients(
        Object.entries(grads).map(([k, g]) => ({
          name: (variables[k] as tf.Variable).name,
          tensor: tf.tensor(Float32Array.from(g), (variables[k] as tf.Variable).shape),
        })),
      ),
    );
  }
}

function problemVariables(problem: NoisyQuadratic, prefix: string): Record<string, tf.Variable> {
  return Object.fromEntries(
    Object.entries(problem.initialParams()).map(([k, t]) => [
      k,
      tf.variable(tf.tensor(Float32Array.from(t.data), t.shape), true, `${prefix}${k}`),
    ]),
  );
}

const valuesOf = (variables: Record<string, tf.Variable>) =>
  Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, Array.from(v.dataSync())]));

describe("checkpoints written before the engine (format 1)", () => {
  // The old code was the generic path, which continues bit for bit; the fused kernel keeps
  // its intermediates in float64 and rounds once per stored value, so it ends within the
  // conformance suite's float32 tolerance of the same trajectory (see TOLERANCE).
  test.each([
    ["generic", 0],
    ["fused", TOLERANCE.float32],
  ] as const)("A2S-float32-cpu.json loads and continues as the old code did (%s kernel, relative error <= %s)", (kernel, tolerance) => {
    const fixture = JSON.parse(
      readFileSync(new URL("./fixtures/v1/A2S-float32-cpu.json", import.meta.url), "utf8"),
    );
    const problem = new NoisyQuadratic(fixture.seed);
    // The problem's gradients depend on the step number: replay the noise up to saveAt.
    for (let s = 1; s <= fixture.saveAt; s++) problem.gradient(problem.initialParams() as never, s);
    const variables = problemVariables(problem, "fixture_");
    for (const [k, hex] of Object.entries(fixture.paramsAtSave as Record<string, string>)) {
      (variables[k] as tf.Variable).assign(
        tf.tensor(Float32Array.from(fromHex(hex)), (variables[k] as tf.Variable).shape),
      );
    }
    const optimizer = a2s(fixture.options, { kernel });
    expect(optimizer.kernel).toBe(kernel);
    optimizer.loadCheckpoint(new Uint8Array(Buffer.from(fixture.checkpoint, "base64")));
    expect(optimizer.t).toBe(fixture.saveAt);
    for (let s = fixture.saveAt + 1; s <= fixture.total; s++) {
      run(optimizer, problem, variables, s - 1, s);
      const expected = fixture.trajectory[s - fixture.saveAt - 1] as Record<string, string>;
      for (const [name, hex] of Object.entries(expected)) {
        const actual = Array.from((variables[name] as tf.Variable).dataSync());
        if (tolerance === 0) expect(actual, `${name} after step ${s}`).toEqual(Array.from(fromHex(hex)));
        else
          expect(relativeError(actual, fromHex(hex)), `${name} after step ${s}`).toBeLessThanOrEqual(
            tolerance,
          );
      }
    }
    optimizer.dispose();
  });
});

describe("checkpoints", () => {
  test("fromCheckpoint makes the named class with the saved options; continuing is bit for bit", () => {
    const options = {
      lrAdam: linearSchedule({ initValue: 0.02, endValue: 0.001, transitionSteps: 15 }),
      weightDecay: 0.01,
      switchIter: 5,
      blendIters: 10,
      curvatureK: 0.5,
    };
    const problemA = new NoisyQuadratic(5);
    const uninterrupted = problemVariables(problemA, "ck_a_");
    const reference = new A2S(options);
    run(reference, problemA, uninterrupted, 0, 20);

    const problemB = new NoisyQuadratic(5);
    const resumedVariables = problemVariables(problemB, "ck_b_");
    const first = new A2S(options);
    run(first, problemB, resumedVariables, 0, 8);
    const second = Optimizer.fromCheckpoint(first.saveCheckpoint(), { nonFinite: "skip" });
    expect(second).toBeInstanceOf(A2S);
    expect(second.options).toEqual(first.options);
    expect(second.t).toBe(8);
    expect(second.nonFinite).toBe("skip");
    first.dispose();
    run(second, problemB, resumedVariables, 8, 20);
    expect(valuesOf(resumedVariables)).toEqual(valuesOf(uninterrupted));
    reference.dispose();
    second.dispose();
  });

  test("fromCheckpoint of an Adam checkpoint is an Adam; of an unknown algorithm, a CheckpointError", () => {
    const bytes = new Adam({ learningRate: 0.02 }).saveCheckpoint();
    const copy = Optimizer.fromCheckpoint(bytes);
    expect(copy).toBeInstanceOf(Adam);
    expect(copy.options.learningRate).toBe(0.02);
    const lion = encodeCheckpoint({ ...decodeCheckpoint(bytes), algorithm: "Lion" });
    expect(() => Optimizer.fromCheckpoint(lion)).toThrow(
      expect.objectContaining({ name: "CheckpointError", problem: "algorithm" }),
    );
  });

  test("float64 state that float32 cannot hold is refused with a CheckpointError naming the slot, at the first step or at load", () => {
    const typed = new TypedA2S({ switchIter: 1, blendIters: 3 });
    const params = { ck_huge: new Float64Array([1, 2, 3, 4, 5, 6]) };
    typed.update(params, { ck_huge: Float64Array.of(0.1, 0.2, -0.3, 0.4, -0.5, 0.6) });
    const checkpoint = decodeCheckpoint(typed.saveCheckpoint());
    const huge = encodeCheckpoint({
      ...checkpoint,
      tensors: checkpoint.tensors.map((t) => ({
        ...t,
        slots: { ...t.slots, v: Float64Array.from(t.slots.v ?? [], () => 1e57) },
      })),
    });
    const variable = tf.variable(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), true, "ck_huge");
    const fresh = Optimizer.fromCheckpoint(huge);
    const before = fresh.saveCheckpoint();
    const numTensors = tf.memory().numTensors;
    expect(() => tf.tidy(() => fresh.applyGradients({ ck_huge: tf.onesLike(variable) }))).toThrow(
      expect.objectContaining({
        name: "CheckpointError",
        problem: "data",
        message: expect.stringContaining("ck_huge.v[0]"),
      }),
    );
    expect(fresh.saveCheckpoint()).toEqual(before);
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(Array.from(variable.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);

    const held = a2s();
    tf.tidy(() => held.applyGradients({ ck_huge: tf.onesLike(variable) }));
    const heldBefore = held.saveCheckpoint();
    expect(() => held.loadCheckpoint(huge)).toThrow(
      expect.objectContaining({
        name: "CheckpointError",
        problem: "data",
        message: expect.stringContaining("ck_huge.v[0]"),
      }),
    );
    expect(held.saveCheckpoint()).toEqual(heldBefore);
    fresh.dispose();
    held.dispose();
  });

  test("a float64 checkpoint of @a2s/typed loads, its flat arrays taking the variable's shape", () => {
    const typed = new TypedA2S({ switchIter: 1, blendIters: 3 });
    const params = { ck_k: new Float64Array([1, 2, 3, 4, 5, 6]) };
    for (let i = 0; i < 2; i++)
      typed.update(params, { ck_k: Float64Array.from([0.1, 0.2, -0.3, 0.4, -0.5, 0.6], (x) => x * (i + 1)) });
    const k = tf.variable(tf.tensor2d(Array.from(params.ck_k), [2, 3]), true, "ck_k");
    const optimizer = Optimizer.fromCheckpoint(typed.saveCheckpoint());
    expect(optimizer.options.switchIter).toBe(1);
    const grad = Float64Array.from([0.2, -0.1, 0.3, 0.1, 0.2, -0.4]);
    typed.update(params, { ck_k: grad });
    tf.tidy(() => optimizer.applyGradients({ ck_k: tf.tensor2d(Array.from(grad), [2, 3]) }));
    expect(decodeCheckpoint(optimizer.saveCheckpoint()).tensors[0]?.shape).toEqual([2, 3]);
    // typed computes in float64, tfjs in float32 from float32-rounded state: agreement to
    // float32 resolution (values are of order 1).
    for (const [i, x] of k.dataSync().entries()) expect(x).toBeCloseTo(params.ck_k[i] as number, 6);
    optimizer.dispose();
  });

  test("a checkpoint with a negative shape is a CheckpointError naming the tensor, and leaks nothing", () => {
    const variable = tf.variable(tf.ones([3]), true, "ck_neg");
    const optimizer = a2s();
    tf.tidy(() => optimizer.applyGradients({ ck_neg: tf.onesLike(variable) }));
    const saved = optimizer.saveCheckpoint();
    // Rewrite the header's shape (and the checksum), as a hostile file would.
    const view = new DataView(saved.buffer, saved.byteOffset);
    const length = view.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(saved.subarray(16, 16 + length))) as CheckpointHeader;
    (header.tensors[0] as { shape: number[] }).shape = [-1, -3];
    const text = new TextEncoder().encode(JSON.stringify(header));
    const pad8 = (n: number) => (n + 7) & ~7;
    const data = saved.subarray(pad8(16 + length), saved.length - 4);
    const forged = new Uint8Array(pad8(16 + text.length) + data.length + 4);
    forged.set(saved.subarray(0, 12));
    new DataView(forged.buffer).setUint32(12, text.length, true);
    forged.set(text, 16);
    forged.set(data, pad8(16 + text.length));
    new DataView(forged.buffer).setUint32(
      forged.length - 4,
      crc32(forged.subarray(0, forged.length - 4)),
      true,
    );
    const numTensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      expect(() => optimizer.loadCheckpoint(forged)).toThrow(
        expect.objectContaining({
          name: "CheckpointError",
          problem: "header",
          message: expect.stringContaining("ck_neg"),
        }),
      );
    }
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(optimizer.saveCheckpoint()).toEqual(saved);
    optimizer.dispose();
  });

  test("loading checkpoints with new option values again and again keeps the tensor count flat", () => {
    const variable = tf.variable(tf.ones([4]), true, "ck_reload");
    const optimizer = a2s();
    const step = () => tf.tidy(() => optimizer.applyGradients({ ck_reload: tf.onesLike(variable).mul(0.5) }));
    step();
    const checkpoint = decodeCheckpoint(optimizer.saveCheckpoint());
    const withRate = (lrAdam: number) =>
      encodeCheckpoint({ ...checkpoint, options: { ...checkpoint.options, lrAdam } });
    optimizer.loadCheckpoint(withRate(0.5));
    step();
    const numTensors = tf.memory().numTensors;
    for (let i = 1; i <= 20; i++) {
      optimizer.loadCheckpoint(withRate(0.5 + i / 100));
      step();
      expect(tf.memory().numTensors, `after load ${i}`).toBe(numTensors);
    }
    expect(optimizer.options.lrAdam).toBe(0.7);
    optimizer.dispose();
  });

  test("refuses damaged bytes with a CheckpointError, changing nothing", () => {
    const variable = tf.variable(tf.ones([2]), true, "ck_damaged");
    const optimizer = a2s();
    tf.tidy(() => optimizer.applyGradients({ ck_damaged: tf.onesLike(variable) }));
    const saved = optimizer.saveCheckpoint();
    const damaged = saved.slice();
    damaged[damaged.length - 9] = (damaged[damaged.length - 9] as number) ^ 1;
    expect(() => optimizer.loadCheckpoint(damaged)).toThrow(CheckpointError);
    expect(optimizer.saveCheckpoint()).toEqual(saved);
    optimizer.dispose();
  });
});
