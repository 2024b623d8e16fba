/**
 * createHostStepTrainer: the gradients from onnxruntime, the step by an optimizer on the
 * host (@a2s/typed's, or any object with `update`).
 */
import { InvalidCallError, NonFiniteGradientError, TensorMismatchError } from "@a2s/core";
import { Mlp } from "@a2s/mlp";
import { loadMnist, type Mnist, subset } from "@a2s/mnist";
import * as typed from "@a2s/typed";
import * as ortWeb from "onnxruntime-web";
import { beforeAll, describe, expect, test } from "vitest";
import { createHostStepTrainer, type HostOptimizer } from "../src/host-step-trainer.js";
import { buildInferenceModel } from "../src/mlp-models.js";
import { A2S } from "../src/optimizer.js";
import { createTrainer } from "../src/trainer.js";

let mnist: Mnist;
beforeAll(async () => {
  mnist = await loadMnist();
});

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameParams = (a: Record<string, Float32Array>, b: Record<string, Float32Array>) =>
  Object.keys(b).length === Object.keys(a).length &&
  Object.keys(b).every((k) => a[k] !== undefined && bytesOf(a[k]).equals(bytesOf(b[k] as Float32Array)));

const batchAt = (i: number) => {
  const { images, labels } = subset(mnist.train, i * 64, 64);
  return { x: images, y: labels };
};

describe("createHostStepTrainer", () => {
  test("with @a2s/typed's A2S: the loss falls, the accuracy rises, and the optimizer's state follows", async () => {
    const optimizer = new typed.A2S({ switchIter: 20, blendIters: 20 });
    const trainer = createHostStepTrainer({ model: { params: new Mlp({ seed: 1 }).params }, optimizer });
    const held = subset(mnist.test, 0, 1000);
    const before = await trainer.evaluate(held.images, held.labels);
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const { x, y } = batchAt(i);
      losses.push(await trainer.trainStep(x, y));
    }
    const after = await trainer.evaluate(held.images, held.labels);
    // An untrained net is near chance (0.1); 60 steps of 64 reach well over 0.7 on MNIST.
    expect(before).toBeLessThan(0.3);
    expect(after).toBeGreaterThan(0.7);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) / 2);
    expect(optimizer.t).toBe(60);
    expect(optimizer.diagnostics?.w).toBe(0);
    expect(trainer.optimizer).toBe(optimizer);
    await trainer.dispose();
  });

  // onnxruntime-node writes the gradients into the optimizer's arrays; onnxruntime-web returns new ones, copied there.
  test.each([
    ["onnxruntime-node", undefined],
    ["onnxruntime-web", ortWeb],
  ] as const)("%s: each step is the training graph's gradients given to the optimizer, bit for bit", async (_, runtime) => {
    const params = new Mlp({ seed: 2 }).params;
    const trainer = createHostStepTrainer({
      model: { params },
      optimizer: new typed.A2S(),
      ...(runtime ? { runtime } : {}),
    });
    // The same kernel (SIMD, float32) on the caller's own arrays, fed the gradients the trainer reports.
    const standalone = new typed.A2S();
    const mine = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.slice()]));
    for (let i = 0; i < 5; i++) {
      const { x, y } = batchAt(i);
      const { grads, loss } = await trainer.gradients(x, y);
      standalone.update(mine, grads);
      expect(await trainer.trainStep(x, y)).toBe(loss);
    }
    expect(sameParams(trainer.getParameters(), mine)).toBe(true);
    // And the step moved them.
    expect(sameParams(trainer.getParameters(), params)).toBe(false);
    await trainer.dispose();
  });

  test("an optimizer without bind: the trainer keeps its own arrays and hands them to update", async () => {
    const params = new Mlp({ seed: 3 }).params;
    const rate = 0.05;
    const calls: number[] = [];
    const sgd: HostOptimizer = {
      update(p, g) {
        calls.push(Object.keys(p).length);
        for (const name of Object.keys(p)) {
          const w = p[name] as Float32Array;
          const d = g[name] as Float32Array;
          for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) - rate * (d[i] as number);
        }
      },
    };
    const trainer = createHostStepTrainer({ model: { params }, optimizer: sgd });
    const { x, y } = batchAt(0);
    const { grads } = await trainer.gradients(x, y);
    await trainer.trainStep(x, y);
    const expected = Object.fromEntries(
      Object.entries(params).map(([k, w]) => [
        k,
        w.map((v, i) => Math.fround(v - rate * (grads[k]![i] as number))),
      ]),
    );
    expect(calls).toEqual([6]);
    expect(sameParams(trainer.getParameters(), expected)).toBe(true);
    // The caller's initial arrays were copied, not trained in place.
    expect(sameParams(params, new Mlp({ seed: 3 }).params)).toBe(true);
    await trainer.dispose();
  });

  test("parameters go out as copies and come back in, in call order; the exported model holds them", async () => {
    const trainer = createHostStepTrainer({
      model: { params: new Mlp({ seed: 3 }).params },
      optimizer: new typed.Adam(),
    });
    const out = trainer.getParameters();
    out.W1![0] = 42;
    expect(trainer.getParameters().W1![0]).not.toBe(42);
    const { x, y } = batchAt(0);
    const pending = trainer.trainStep(x, y);
    await trainer.setParameters(out);
    await pending;
    expect(sameParams(trainer.getParameters(), out)).toBe(true);
    expect(bytesOf(trainer.exportModel()).equals(bytesOf(buildInferenceModel(trainer.sizes, out)))).toBe(
      true,
    );
    await trainer.dispose();
  });

  test("a batch that yields a non-finite gradient is refused by the optimizer and nothing changes", async () => {
    const optimizer = new typed.A2S();
    const trainer = createHostStepTrainer({ model: { params: new Mlp({ seed: 4 }).params }, optimizer });
    const { x, y } = batchAt(0);
    await trainer.trainStep(x, y);
    const params = trainer.getParameters();
    const state = optimizer.saveCheckpoint();
    const bad = x.slice();
    bad[5 * 784 + 300] = Number.NaN;
    const error = await trainer.trainStep(bad, y).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect((error as NonFiniteGradientError).tensor).toBe("W1");
    expect(sameParams(trainer.getParameters(), params)).toBe(true);
    expect(bytesOf(optimizer.saveCheckpoint()).equals(bytesOf(state))).toBe(true);
    expect(optimizer.t).toBe(1);
    // The trainer goes on.
    await trainer.trainStep(batchAt(1).x, batchAt(1).y);
    expect(optimizer.t).toBe(2);
    await trainer.dispose();
  });

  test("this package's own optimizer steps too (its update is awaited), as createTrainer's fused graph does", async () => {
    const params = new Mlp({ seed: 6 }).params;
    const host = createHostStepTrainer({ model: { params }, optimizer: new A2S() });
    const fused = createTrainer({ model: { params }, optimizer: new A2S() });
    for (let i = 0; i < 3; i++) {
      const { x, y } = batchAt(i);
      await Promise.all([host.trainStep(x, y), fused.trainStep(x, y)]);
    }
    const a = host.getParameters();
    const b = fused.getParameters();
    // The same nodes on the same float32 values; a fused graph may let onnxruntime reorder kernels, within float32 rounding.
    for (const name of Object.keys(b)) {
      let worst = 0;
      for (let i = 0; i < b[name]!.length; i++)
        worst = Math.max(worst, Math.abs(a[name]![i]! - b[name]![i]!));
      expect(worst, name).toBeLessThan(1e-6);
    }
    expect(sameParams(a, params)).toBe(false);
    await Promise.all([host.dispose(), fused.dispose()]);
  });

  test("bad settings are refused when the trainer is made, with typed errors naming them", () => {
    const params = new Mlp({ seed: 3 }).params;
    for (const optimizer of [undefined, {}, { update: 1 }]) {
      expect(() => createHostStepTrainer({ model: { params }, optimizer: optimizer as never })).toThrow(
        expect.objectContaining({ name: "InvalidOptionError", option: "optimizer" }),
      );
    }
    expect(() =>
      createHostStepTrainer({ model: { params, sizes: [784, 0, 10] }, optimizer: new typed.A2S() }),
    ).toThrow(expect.objectContaining({ name: "InvalidOptionError", option: "model.sizes" }));
    const nan = { ...params, b1: params.b1.slice() };
    nan.b1[0] = Number.NaN;
    expect(() => createHostStepTrainer({ model: { params: nan }, optimizer: new typed.A2S() })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "b1" }),
    );
    const { b3: _, ...missing } = params;
    expect(() => createHostStepTrainer({ model: { params: missing }, optimizer: new typed.A2S() })).toThrow(
      /parameter b3 is missing/,
    );
    expect(() =>
      createHostStepTrainer({ model: { params }, optimizer: new typed.A2S(), runtime: {} as never }),
    ).toThrow(expect.objectContaining({ name: "InvalidOptionError", option: "runtime" }));
  });

  test("bad batches and weights are refused before running, changing nothing; a disposed trainer refuses calls", async () => {
    const optimizer = new typed.A2S();
    const trainer = createHostStepTrainer({ model: { params: new Mlp({ seed: 5 }).params }, optimizer });
    const before = trainer.getParameters();
    const { x, y } = batchAt(0);
    await expect(trainer.trainStep(x.subarray(0, 100), y)).rejects.toMatchObject({
      name: "TensorMismatchError",
      tensor: "images",
      kind: "length",
    });
    const labels = y.slice();
    labels[3] = 10;
    await expect(trainer.trainStep(x, labels)).rejects.toThrow(
      /labels must be "class indices below 10"; got "10 at index 3"/,
    );
    await expect(trainer.gradients(x, new Uint8Array(0))).rejects.toBeInstanceOf(TensorMismatchError);
    const bad = { ...before, W2: before.W2!.slice() };
    bad.W2[7] = Number.POSITIVE_INFINITY;
    await expect(trainer.setParameters(bad)).rejects.toMatchObject({
      name: "TensorMismatchError",
      tensor: "W2",
    });
    expect(sameParams(trainer.getParameters(), before)).toBe(true);
    expect(optimizer.t).toBe(0);
    await trainer.dispose();
    await expect(trainer.trainStep(x, y)).rejects.toBeInstanceOf(InvalidCallError);
    await expect(trainer.evaluate(x, y)).rejects.toThrow(/disposed/);
    expect(optimizer.t).toBe(0);
  });
});
