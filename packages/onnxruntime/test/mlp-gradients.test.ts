import { Mlp, PARAM_NAMES } from "@a2s/mlp";
import { loadMnist, subset } from "@a2s/mnist";
import { beforeAll, describe, expect, test } from "vitest";
import { SGDMomentum } from "../src/optimizer.js";
import { createTrainer, type Trainer } from "../src/trainer.js";

/** Largest |a - b| over the largest |b|: an error relative to the tensor's scale. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / scale;
}

describe("the MLP training graph", () => {
  let batch: { x: Float32Array; y: Uint8Array };
  let reference: Mlp<"float64">;
  let trainer: Trainer;

  beforeAll(async () => {
    const { train } = await loadMnist();
    const { images, labels } = subset(train, 0, 64);
    batch = { x: images, y: labels };
    const model = new Mlp({ seed: 7 });
    reference = new Mlp({ seed: 7, dtype: "float64" });
    // The same float32 weights in both, so only the arithmetic differs.
    for (const name of PARAM_NAMES) reference.params[name].set(model.params[name]);
    trainer = createTrainer({ model: { params: model.params }, optimizer: new SGDMomentum() });
    return () => trainer.dispose();
  });

  test("loss, logits and gradients match @a2s/mlp's float64 backward", async () => {
    const ours = await trainer.gradients(batch.x, batch.y);
    const logits = reference.forward(Float64Array.from(batch.x));
    const loss = reference.loss(batch.y);
    const grads = reference.backward(batch.y);
    // float32 against float64: each value is a sum of at most 784 products; float32
    // rounding (6e-8 per operation) then typically grows like sqrt(784) * 6e-8 = 2e-6.
    // Observed: 3e-8 (loss), 2e-7 (logits), at most 4e-7 (gradients). 1e-5 leaves room
    // for rounding on other CPUs while any wrong term (a missing mask, a transposed
    // product, a forgotten 1/batch) is off by far more than that.
    expect(Math.abs(ours.loss - loss) / loss).toBeLessThan(1e-6);
    expect(relativeError(ours.logits, logits)).toBeLessThan(1e-5);
    for (const name of PARAM_NAMES) {
      expect(relativeError(ours.grads[name] as Float32Array, grads[name]), name).toBeLessThan(1e-5);
    }
  });

  test("a batch of one row and a batch of 1000 use the same graph", async () => {
    const one = await trainer.gradients(batch.x.subarray(0, 784), batch.y.subarray(0, 1));
    expect(one.logits.length).toBe(10);
    const { train } = await loadMnist();
    const big = subset(train, 0, 1000);
    const many = await trainer.gradients(big.images, big.labels);
    expect(many.logits.length).toBe(10_000);
    expect(Number.isFinite(many.loss)).toBe(true);
  });
});
