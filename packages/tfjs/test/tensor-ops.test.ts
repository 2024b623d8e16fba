import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { Expr } from "../src/expr.js";
import { a2s, cosineDecaySchedule } from "../src/index.js";
import { TensorOps } from "../src/tensor-ops.js";
import { useBackend } from "./backends.js";

beforeAll(() => useBackend("cpu"));

const GENERIC = { kernel: "generic" } as const;
afterEach(() => tf.disposeVariables());

/** Kernels one step runs, and the tensors it makes besides their outputs (uploads). */
async function profileStep(optimizer: tf.Optimizer, grads: () => tf.NamedTensorMap) {
  // Every tensor made takes the next id of tfjs's engine.
  const ids = tf.engine().constructor as unknown as { nextTensorId: number };
  const given = grads();
  const first = ids.nextTensorId;
  const info = await tf.profile(() => optimizer.applyGradients(given));
  const made = ids.nextTensorId - first;
  tf.dispose(Object.values(given));
  return { names: info.kernels.map((k) => k.name), uploads: made - info.kernels.length };
}

// The generic path's kernels (the fused kernel runs A2S on cpu by default: fused.test.ts).
describe("the step as tfjs kernels (generic path)", () => {
  const shapes = { to_w: [6, 4], to_b: [4] };
  const grads = (scale: number) => () =>
    Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, tf.fill(shape, 0.1 * scale)]));
  const variables = () =>
    Object.entries(shapes).map(([name, shape]) => tf.variable(tf.ones(shape), true, name));

  test("a blend weight of exactly 1 or 0 skips the other branch's kernels", async () => {
    variables();
    const count = async (options: Parameters<typeof a2s>[0]) => {
      const optimizer = a2s(options, GENERIC);
      for (let i = 1; i <= 3; i++) optimizer.applyGradients(grads(i)());
      const { names } = await profileStep(optimizer, grads(4));
      optimizer.dispose();
      return names.length;
    };
    const adamPhase = await count({ switchIter: 100 });
    const sgdPhase = await count({ switchIter: 0, blendIters: 0 });
    const blend = await count({ switchIter: 0, blendIters: 100 });
    expect(adamPhase).toBeLessThan(blend);
    expect(sgdPhase).toBeLessThan(adamPhase);
  });

  test("the curvature's (g − prev)² runs as one squaredDifference per variable", async () => {
    variables();
    const optimizer = a2s({}, GENERIC);
    optimizer.applyGradients(grads(1)());
    const { names } = await profileStep(optimizer, grads(2));
    expect(names.filter((n) => n === "SquaredDifference")).toHaveLength(2);
    optimizer.dispose();
  });

  test("hyperparameters are uploaded once: a step uploads only the values that changed (the bias corrections, a scheduled rate)", async () => {
    variables();
    const constant = a2s({}, GENERIC);
    const scheduled = a2s({ lrAdam: cosineDecaySchedule({ initValue: 0.01, decaySteps: 100 }) }, GENERIC);
    for (const optimizer of [constant, scheduled])
      for (let i = 1; i <= 3; i++) optimizer.applyGradients(grads(i)());
    // Two bias corrections, and on cpu the optimizer's copy of each variable's gradient
    // (its previous gradient); the scheduled rate is one more.
    const copies = Object.keys(shapes).length;
    expect((await profileStep(constant, grads(4))).uploads).toBe(2 + copies);
    expect((await profileStep(scheduled, grads(4))).uploads).toBe(3 + copies);
    constant.dispose();
    scheduled.dispose();
  });
});

describe("TensorOps", () => {
  const ops = new TensorOps();
  const value = (expr: Expr) => Array.from(tf.tidy(() => ops.evaluate(expr).clone()).dataSync());
  const input = (values: number[]) => Expr.input(tf.tensor1d(values));

  test("maximum, minimum, greater, where and sum run their tfjs kernels", () => {
    const a = input([1, -2, 3]);
    const b = input([0, 5, 3]);
    expect(value(ops.maximum(a, b))).toEqual([1, 5, 3]);
    expect(value(ops.minimum(a, b))).toEqual([0, -2, 3]);
    expect(value(ops.greater(a, b))).toEqual([1, 0, 0]);
    expect(value(ops.where(ops.greater(a, b), a, b))).toEqual([1, 5, 3]);
    expect(value(ops.sum(a))).toEqual([2]);
    expect(value(ops.sumSquares(ops.sub(a, b)))).toEqual([1 + 49]);
  });

  test("exact identities are applied before anything runs", () => {
    const a = input([1, 2]);
    const zero = ops.scalar(0);
    const one = ops.scalar(1);
    expect(ops.mul(a, one)).toBe(a);
    expect(ops.add(zero, a)).toBe(a);
    expect(ops.div(a, one)).toBe(a);
    expect(ops.sub(a, zero)).toBe(a);
    expect(ops.mul(a, zero).value).toBe(0);
    // A condition known on the host picks its branch without a kernel.
    expect(ops.where(one, a, zero)).toBe(a);
    expect(ops.where(zero, a, zero)).toBe(zero);
    // A product of a value with itself is a square.
    expect(ops.mul(a, a).operation).toBe("square");
  });

  test("clear frees the cached scalars", () => {
    const ops = new TensorOps();
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      ops.evaluate(ops.mul(input([1, 2]), ops.scalar(0.5)));
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    ops.clear();
    expect(tf.memory().numTensors).toBe(before);
  });
});
