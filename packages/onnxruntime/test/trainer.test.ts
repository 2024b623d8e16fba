import { decodeCheckpoint, InvalidOptionError, NonFiniteGradientError, TensorMismatchError } from "@a2s/core";
import { Mlp } from "@a2s/mlp";
import { loadMnist, type Mnist, subset } from "@a2s/mnist";
import * as typed from "@a2s/typed";
import { beforeAll, describe, expect, test } from "vitest";
import { createHostStepTrainer } from "../src/host-step-trainer.js";
import { A2S, Adam, SGDMomentum } from "../src/optimizer.js";
import { createTrainer, type Trainer } from "../src/trainer.js";

let mnist: Mnist;
beforeAll(async () => {
  mnist = await loadMnist();
});

/** Bitwise equality of large arrays (vitest's deep equality walks them element by element). */
const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameParams = (a: Record<string, Float32Array>, b: Record<string, Float32Array>) =>
  Object.keys(b).every((k) => a[k] !== undefined && bytesOf(a[k]).equals(bytesOf(b[k] as Float32Array)));

const batchAt = (i: number) => {
  const { images, labels } = subset(mnist.train, i * 64, 64);
  return { x: images, y: labels };
};

describe("createTrainer", () => {
  test("training steps lower the loss and raise the accuracy; the optimizer's state follows", async () => {
    const optimizer = new A2S({ switchIter: 20, blendIters: 20 });
    const trainer = createTrainer({ model: { params: new Mlp({ seed: 1 }).params }, optimizer });
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
    // The fused graph stepped the optimizer's own state: t, diagnostics, checkpoint.
    expect(optimizer.t).toBe(60);
    const d = optimizer.diagnostics!;
    expect(d.w).toBe(0);
    expect(d.curvature).toBeGreaterThan(0);
    expect(d.lrScale).toBeCloseTo(1 / (1 + 0.05 * (d.curvature as number)), 6);
    await trainer.dispose();
  });

  test("a fused step equals the training graph's gradients fed to the standalone optimizer", async () => {
    const params = new Mlp({ seed: 2 }).params;
    const fused = createTrainer({ model: { params }, optimizer: new A2S() });
    const standalone = new A2S();
    const helper = createTrainer({ model: { params }, optimizer: new Adam() });
    const mine = helper.getParameters();
    for (let i = 0; i < 3; i++) {
      const { x, y } = batchAt(i);
      await fused.trainStep(x, y);
      await helper.setParameters(mine);
      const { grads } = await helper.gradients(x, y);
      await standalone.update(mine, grads);
    }
    const got = fused.getParameters();
    // Same nodes on the same float32 values; the one difference is that the fused graph
    // may let onnxruntime fuse or reorder kernels (e.g. Gemm+Relu), within float32 rounding.
    for (const name of Object.keys(mine)) {
      const a = got[name]!;
      const b = mine[name]!;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst, name).toBeLessThan(1e-6);
    }
    await Promise.all([fused.dispose(), helper.dispose(), standalone.dispose()]);
  });

  for (const dtype of ["float32", "float64"] as const) {
    test(`a ${dtype} checkpoint of @a2s/typed (flat shapes) continues in the trainer`, async () => {
      const model = new Mlp({ seed: 8, dtype });
      const typedA2S = new typed.A2S({ switchIter: 2, blendIters: 4 });
      for (let i = 0; i < 3; i++) {
        const { x, y } = batchAt(i);
        model.forward(dtype === "float64" ? Float64Array.from(x) : x);
        typedA2S.update(model.params, model.backward(y));
      }
      const optimizer = new A2S();
      await optimizer.loadCheckpoint(typedA2S.saveCheckpoint());
      const params = Object.fromEntries(
        Object.entries(model.params).map(([k, v]) => [k, Float32Array.from(v)]),
      );
      const trainer = createTrainer({ model: { params }, optimizer });
      const { x, y } = batchAt(3);
      await trainer.trainStep(x, y);
      expect(optimizer.t).toBe(4);
      // The state was laid out anew for the trainer: the checkpoint now has its shapes.
      const saved = decodeCheckpoint(await optimizer.saveCheckpoint());
      const W1 = saved.tensors.find((t) => t.name === "W1");
      expect(W1?.shape).toEqual([784, 128]);
      expect(W1?.slots.m).toBeInstanceOf(Float32Array);
      expect(optimizer.diagnostics!.w).toBe(0.5);
      await trainer.dispose();
    });
  }

  test("parameters go out as copies and come back in, in call order", async () => {
    const params = new Mlp({ seed: 3 }).params;
    const trainer = createTrainer({ model: { params }, optimizer: new Adam() });
    const out = trainer.getParameters();
    expect(sameParams(out, params)).toBe(true);
    out.W1![0] = 42;
    expect(trainer.getParameters().W1![0]).not.toBe(42);
    await trainer.setParameters(out);
    expect(trainer.getParameters().W1![0]).toBe(42);
    await expect(trainer.setParameters({ ...out, b3: new Float32Array(9) })).rejects.toThrow(
      TensorMismatchError,
    );
    await expect(trainer.setParameters({ W1: out.W1! })).rejects.toThrow(/parameter b1 is missing/);
    // A step called before setParameters runs before it: the set values win.
    const { x, y } = batchAt(0);
    const pending = trainer.trainStep(x, y);
    await trainer.setParameters(out);
    await pending;
    expect(sameParams(trainer.getParameters(), out)).toBe(true);
    await trainer.dispose();
  });

  test("setParameters refuses non-finite weights with a typed error, changing nothing", async () => {
    const trainer = createTrainer({ model: { params: new Mlp({ seed: 3 }).params }, optimizer: new Adam() });
    const before = trainer.getParameters();
    const bad = { ...before, W2: before.W2!.slice() };
    bad.W2[7] = Number.NaN;
    const error = await trainer.setParameters(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TensorMismatchError);
    expect(error).toMatchObject({ tensor: "W2", kind: "type" });
    expect((error as Error).message).toContain("NaN at index 7");
    expect(sameParams(trainer.getParameters(), before)).toBe(true);
    await trainer.dispose();
  });

  test("an optimizer of another package is refused when the trainer is made, with a typed error", () => {
    const params = new Mlp({ seed: 3 }).params;
    const other = new typed.A2S();
    expect(() => createTrainer({ model: { params }, optimizer: other as never })).toThrow(InvalidOptionError);
    expect(() => createTrainer({ model: { params }, optimizer: other as never })).toThrow(
      expect.objectContaining({ option: "optimizer" }),
    );
    expect(() => createTrainer({ model: { params, sizes: [784, -3, 10] }, optimizer: new Adam() })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "model.sizes" }),
    );
    const nan = { ...params, b1: params.b1.slice() };
    nan.b1[0] = Number.POSITIVE_INFINITY;
    expect(() => createTrainer({ model: { params: nan }, optimizer: new Adam() })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "b1" }),
    );
  });

  // Both trainers copy the batch at the call; createHostStepTrainer's other tests are in host-step-trainer.test.ts.
  test.each([
    [
      "createTrainer",
      (params: Record<string, Float32Array>): Trainer<unknown> =>
        createTrainer({ model: { params }, optimizer: new A2S() }),
    ],
    [
      "createHostStepTrainer",
      (params: Record<string, Float32Array>): Trainer<unknown> =>
        createHostStepTrainer({ model: { params }, optimizer: new typed.A2S() }),
    ],
  ] as const)("%s: unawaited steps train on each batch's contents at the call, though the caller refills one buffer", async (_, make) => {
    const seed = 10;
    const reference = make(new Mlp({ seed }).params);
    const trainer = make(new Mlp({ seed }).params);
    const x = new Float32Array(64 * 784);
    const y = new Uint8Array(64);
    const pending: Promise<number>[] = [];
    const expectedLosses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = batchAt(i);
      expectedLosses.push(await reference.trainStep(batch.x, batch.y));
      x.set(batch.x);
      y.set(batch.y);
      pending.push(trainer.trainStep(x, y));
    }
    expect(await Promise.all(pending)).toEqual(expectedLosses);
    expect(sameParams(trainer.getParameters(), reference.getParameters())).toBe(true);
    await Promise.all([reference.dispose(), trainer.dispose()]);
  });

  test("a refused step keeps the last good step's diagnostics", async () => {
    const optimizer = new A2S({ switchIter: 1, blendIters: 4 });
    const trainer = createTrainer({ model: { params: new Mlp({ seed: 4 }).params }, optimizer });
    const { x, y } = batchAt(0);
    await trainer.trainStep(x, y);
    await trainer.trainStep(batchAt(1).x, batchAt(1).y);
    const good = optimizer.diagnostics;
    expect(good?.t).toBe(2);
    const bad = x.slice();
    bad[100] = Number.NaN;
    await expect(trainer.trainStep(bad, y)).rejects.toBeInstanceOf(NonFiniteGradientError);
    expect(optimizer.diagnostics).toEqual(good);
    expect(Object.values(optimizer.diagnostics ?? {}).every(Number.isFinite)).toBe(true);
    await trainer.dispose();
  });

  // The first step runs on fresh state, later ones on state held: both are covered.
  for (const [label, make, warmSteps] of [
    ["A2S, later step", () => new A2S(), 1],
    ["A2S, first step", () => new A2S(), 0],
    ["Adam", () => new Adam(), 1],
  ] as const) {
    test(`${label}: a batch that yields a non-finite gradient is refused and nothing changes`, async () => {
      const optimizer = make();
      const trainer = createTrainer({ model: { params: new Mlp({ seed: 4 }).params }, optimizer });
      const { x, y } = batchAt(0);
      for (let i = 0; i < warmSteps; i++) await trainer.trainStep(x, y);
      const params = trainer.getParameters();
      const state = await optimizer.saveCheckpoint();
      const bad = x.slice();
      bad[5 * 784 + 300] = Number.NaN;
      const error = await trainer.trainStep(bad, y).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NonFiniteGradientError);
      expect((error as NonFiniteGradientError).tensor).toBe("W1");
      expect(sameParams(trainer.getParameters(), params)).toBe(true);
      expect(bytesOf(await optimizer.saveCheckpoint()).equals(bytesOf(state))).toBe(true);
      expect(optimizer.t).toBe(warmSteps);
      await trainer.dispose();
    });
  }

  test("huge but finite gradients are applied", async () => {
    const params = new Mlp({ seed: 6 }).params;
    // Hidden activations near 1e22 give W3 gradients near 1e22: finite in float32, as
    // SGD with momentum's state and step are.
    params.b2.fill(1e22);
    const optimizer = new SGDMomentum();
    const trainer = createTrainer({ model: { params }, optimizer });
    const { x, y } = batchAt(0);
    const { grads } = await trainer.gradients(x, y);
    const largest = grads.W3!.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    expect(largest).toBeGreaterThan(1e19);
    expect(Number.isFinite(largest)).toBe(true);
    await trainer.trainStep(x, y);
    expect(optimizer.t).toBe(1);
    expect(trainer.getParameters().W3!.every(Number.isFinite)).toBe(true);
    await trainer.dispose();
  });

  test("batches of the wrong size or with bad labels are refused before running", async () => {
    const trainer = createTrainer({ model: { params: new Mlp({ seed: 5 }).params }, optimizer: new Adam() });
    const { x, y } = batchAt(0);
    await expect(trainer.trainStep(x.subarray(0, 100), y)).rejects.toMatchObject({
      tensor: "images",
      kind: "length",
    });
    const labels = y.slice();
    labels[3] = 10;
    await expect(trainer.trainStep(x, labels)).rejects.toThrow(
      /labels must be "class indices below 10"; got "10 at index 3"/,
    );
    await expect(trainer.evaluate(x, new Uint8Array(0))).rejects.toBeInstanceOf(TensorMismatchError);
    await trainer.dispose();
  });
});
