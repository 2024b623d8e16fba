import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, test, vi } from "vitest";
import { A2S, a2s, adam, decodeCheckpoint, type Optimizer, sgdMomentum } from "../src/index.js";
import { BACKENDS, useBackend } from "./backends.js";

afterEach(() => tf.disposeVariables());

async function stateOf(optimizer: Optimizer, variables: tf.Variable[]) {
  return {
    params: variables.map((v) => Array.from(v.dataSync())),
    weights: await Promise.all(
      (await optimizer.getWeights()).map(async (w) => [w.name, Array.from(await w.tensor.data())]),
    ),
    t: optimizer.t,
  };
}

describe.each(BACKENDS)('nonFinite: "throw" (default) on %s', (backend) => {
  test("a NaN or -Infinity gradient is refused naming the variable, index and value, and changes nothing", async () => {
    await useBackend(backend);
    const a = tf.variable(tf.tensor1d([1, 2, 3]), true, "nf_a");
    const b = tf.variable(tf.tensor1d([4, 5]), true, "nf_b");
    const optimizer = a2s();
    tf.tidy(() => optimizer.applyGradients({ nf_a: tf.ones([3]), nf_b: tf.ones([2]) }));
    const before = await stateOf(optimizer, [a, b]);
    for (const [bad, index] of [
      [Number.NEGATIVE_INFINITY, 1],
      [Number.NaN, 0],
    ]) {
      const values = [0.5, 0.5];
      values[index as number] = bad as number;
      expect(() =>
        tf.tidy(() => optimizer.applyGradients({ nf_a: tf.ones([3]), nf_b: tf.tensor1d(values) })),
      ).toThrow(
        expect.objectContaining({ name: "NonFiniteGradientError", tensor: "nf_b", index, value: bad }),
      );
    }
    expect(await stateOf(optimizer, [a, b])).toEqual(before);
    optimizer.dispose();
  });

  test("a finite gradient whose square overflows float32 is refused with a NonFiniteResultError naming the slot, and changes nothing", async () => {
    await useBackend(backend);
    const w = tf.variable(tf.tensor1d([1, 1]), true, "nf_square");
    const optimizer = a2s();
    tf.tidy(() => optimizer.applyGradients({ nf_square: tf.ones([2]) }));
    const before = await stateOf(optimizer, [w]);
    // The seed's repro: 1e38 again and again. Its square is Infinity in float32.
    for (let i = 0; i < 5; i++) {
      expect(() => tf.tidy(() => optimizer.applyGradients({ nf_square: tf.tensor1d([0.5, 1e38]) }))).toThrow(
        expect.objectContaining({ name: "NonFiniteResultError", tensor: "nf_square", slot: "v", index: 1 }),
      );
    }
    expect(await stateOf(optimizer, [w])).toEqual(before);
    // Its checkpoint still loads: it never holds what it cannot write.
    const copy = A2S.fromCheckpoint(optimizer.saveCheckpoint());
    expect(copy.t).toBe(1);
    copy.dispose();
    optimizer.dispose();
  });

  test("a large step the bounds cannot prove finite is checked element by element, and taken when it is", async () => {
    await useBackend(backend);
    tf.variable(tf.tensor1d([1, 1]), true, "nf_large");
    const optimizer = a2s();
    tf.tidy(() => optimizer.applyGradients({ nf_large: tf.ones([2]) }));
    // v = 0.001 · (1e17)² = 1e31: far above what the bounds call safe, finite all the same.
    tf.tidy(() => optimizer.applyGradients({ nf_large: tf.tensor1d([1e17, -1e17]) }));
    expect(optimizer.t).toBe(2);
    const v = decodeCheckpoint(optimizer.saveCheckpoint()).tensors[0]?.slots.v;
    expect(Array.from(v ?? [])).toEqual([expect.closeTo(1e31, -26), expect.closeTo(1e31, -26)]);
    tf.tidy(() => optimizer.applyGradients({ nf_large: tf.ones([2]) }));
    expect(optimizer.t).toBe(3);
    optimizer.dispose();
  });

  test("finite gradients whose sum overflows float32 are accepted (the fast check's false alarm is searched away)", async () => {
    await useBackend(backend);
    const w = tf.variable(tf.tensor1d([0, 0]), true, "nf_sum");
    // SGD with momentum squares nothing: 3e38 + 3e38 overflows only in the check's sum.
    const optimizer = sgdMomentum({ learningRate: 1e-3 });
    tf.tidy(() => optimizer.applyGradients({ nf_sum: tf.tensor1d([3e38, 3e38]) }));
    expect(optimizer.t).toBe(1);
    expect(Array.from(w.dataSync())).toEqual([expect.closeTo(-3e35, -30), expect.closeTo(-3e35, -30)]);
    optimizer.dispose();
  });
});

describe.each(BACKENDS)('nonFinite: "skip" (in-graph guard) on %s', (backend) => {
  test("a NaN gradient: the step is discarded on the device and counted; t still advances", async () => {
    await useBackend(backend);
    const w = tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]), true, "sk_w");
    const optimizer = a2s({}, { nonFinite: "skip" });
    const good = () => tf.tensor2d([0.1, -0.2, 0.3, -0.4], [2, 2]);
    tf.tidy(() => optimizer.applyGradients({ sk_w: good() }));
    const before = await stateOf(optimizer, [w]);
    tf.tidy(() => optimizer.applyGradients({ sk_w: tf.tensor2d([0.1, Number.NaN, 0.3, -0.4], [2, 2]) }));
    const after = await stateOf(optimizer, [w]);
    expect({ ...after, weights: after.weights.slice(1) }).toEqual({
      ...before,
      t: 2,
      weights: before.weights.slice(1),
    });
    expect(await optimizer.readSkippedSteps()).toBe(1);
    // Documented: the host step count counts calls, skipped ones included.
    expect(optimizer.t).toBe(2);
    tf.tidy(() => optimizer.applyGradients({ sk_w: good() }));
    expect(await optimizer.readSkippedSteps()).toBe(1);
    expect(Array.from(w.dataSync())).not.toEqual(before.params[0]);
    optimizer.dispose();
  });

  test("a finite gradient whose square overflows: the step is discarded, nothing reaches weights or slots", async () => {
    await useBackend(backend);
    const w = tf.variable(tf.tensor1d([1, 1]), true, "sk_square");
    const optimizer = a2s({}, { nonFinite: "skip" });
    tf.tidy(() => optimizer.applyGradients({ sk_square: tf.ones([2]) }));
    const before = await stateOf(optimizer, [w]);
    for (let i = 0; i < 5; i++)
      tf.tidy(() => optimizer.applyGradients({ sk_square: tf.tensor1d([0.5, 1e38]) }));
    expect(await optimizer.readSkippedSteps()).toBe(5);
    const after = await stateOf(optimizer, [w]);
    expect(after.params).toEqual(before.params);
    expect(after.weights.slice(1)).toEqual(before.weights.slice(1));
    const saved = decodeCheckpoint(optimizer.saveCheckpoint());
    expect(saved.tensors[0]?.slots.v?.every(Number.isFinite)).toBe(true);
    optimizer.dispose();
  });

  test("with finite gradients it gives the trajectory of the throw mode, bit for bit", async () => {
    await useBackend(backend);
    const a = tf.variable(tf.tensor1d([1, -1, 2]), true, "sk_a");
    const b = tf.variable(tf.tensor1d([1, -1, 2]), true, "sk_b");
    const options = { switchIter: 2, blendIters: 3, curvatureK: 1, weightDecay: 0.01, clipNorm: 0.5 };
    const eager = a2s(options);
    const guarded = a2s(options, { nonFinite: "skip" });
    for (let i = 1; i <= 8; i++) {
      tf.tidy(() => {
        const g = tf.tensor1d([0.3, -0.1, 0.2]).mul(Math.sin(i) + 1.5);
        eager.applyGradients({ sk_a: g });
        guarded.applyGradients({ sk_b: g });
      });
    }
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(await guarded.readSkippedSteps()).toBe(0);
    eager.dispose();
    guarded.dispose();
  });
});

describe("read-backs per step (wasm, where a read is a copy out of the module's memory)", () => {
  test('generic path: "throw" reads one number back per step, "skip" nothing; the fused kernel reads nothing', async () => {
    await useBackend("wasm");
    tf.variable(tf.ones([8, 4]), true, "rb_w");
    tf.variable(tf.ones([4]), true, "rb_b");
    const grads = (i: number) => ({ rb_w: tf.fill([8, 4], 0.1 * i), rb_b: tf.fill([4], -0.2 * i) });
    for (const [make, nonFinite, reads] of [
      // A2S: the total of each variable's Σ(g − prev)², computed anyway for the curvature.
      [(s: object) => a2s({ weightDecay: 0 }, { ...s, kernel: "generic" }), "throw", 1],
      // The fused kernel sums on the host over the backend's own buffers: no copy out.
      [(s: object) => a2s({ weightDecay: 0 }, s), "throw", 0],
      // Adam computes no sum: each variable's Σg² is the one extra reduction per variable.
      [(s: object) => adam({}, s), "throw", 1],
      [(s: object) => a2s({}, { ...s, kernel: "generic" }), "skip", 0],
    ] as const) {
      const optimizer = make({ nonFinite });
      for (let i = 1; i <= 2; i++) tf.tidy(() => optimizer.applyGradients(grads(i)));
      const readSync = vi.spyOn(tf.backend(), "readSync");
      const read = vi.spyOn(tf.backend(), "read");
      for (let i = 3; i <= 5; i++) tf.tidy(() => optimizer.applyGradients(grads(i)));
      expect(readSync.mock.calls.length, `${optimizer.algorithm} ${nonFinite}`).toBe(3 * reads);
      for (const result of readSync.mock.results) expect((result.value as ArrayLike<number>).length).toBe(1);
      expect(read).not.toHaveBeenCalled();
      readSync.mockRestore();
      read.mockRestore();
      optimizer.dispose();
    }
  });
});
