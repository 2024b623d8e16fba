import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Mlp } from "@a2s/mlp";
import { loadMnist, subset } from "@a2s/mnist";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { expect, test } from "vitest";
import { saveModel } from "../src/export.js";
import { Adam } from "../src/optimizer.js";
import { createTrainer } from "../src/trainer.js";

test("the exported .onnx file scores in a fresh session as the trainer does", async () => {
  const { train, test: testSet } = await loadMnist();
  const trainer = createTrainer({ model: { params: new Mlp({ seed: 9 }).params }, optimizer: new Adam() });
  for (let i = 0; i < 30; i++) {
    const { images, labels } = subset(train, i * 64, 64);
    await trainer.trainStep(images, labels);
  }
  const held = subset(testSet, 0, 2000);
  const accuracy = await trainer.evaluate(held.images, held.labels);

  const dir = await mkdtemp(join(tmpdir(), "a2s-onnx-"));
  const path = join(dir, "mnist-mlp.onnx");
  await saveModel(path, trainer.exportModel());
  const session = await InferenceSession.create(path);
  expect(session.inputNames).toEqual(["images"]);
  expect(session.outputNames).toEqual(["logits", "predictions"]);
  const feeds = { images: new Tensor("float32", held.images, [2000, 784]) };
  const out = await session.run(feeds);
  const predictions = (out.predictions as Tensor).data as BigInt64Array;
  let correct = 0;
  for (let i = 0; i < 2000; i++) if (Number(predictions[i]) === held.labels[i]) correct++;
  expect(correct / 2000).toBe(accuracy);

  const { logits } = await trainer.gradients(held.images.subarray(0, 64 * 784), held.labels.subarray(0, 64));
  const exported = (out.logits as Tensor).data as Float32Array;
  // The weights are initializers here, so onnxruntime may pre-pack them and sum in
  // another order than with the trainer's weight inputs: float32 rounding of 784-term
  // sums on logits of order 10 (observed: 1.2e-6, one float32 step at that size).
  let worst = 0;
  for (let i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(exported[i]! - logits[i]!));
  expect(worst).toBeLessThan(1e-4);
  await session.release();
  await trainer.dispose();
  await rm(dir, { recursive: true });
});
