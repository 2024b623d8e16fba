/**
 * The seed's MLP (784-128-64-10, ReLU) trained on MNIST by onnxruntime-node: each step,
 * forward pass, loss, backward pass and the A2S update, is one run of one ONNX graph.
 */
import type { A2SOptions, StepDiagnostics } from "@a2s/core";
import { Mlp } from "@a2s/mlp";
import { batches, loadMnist, mulberry32, permutation } from "@a2s/mnist";
import { A2S, createTrainer } from "@a2s/onnxruntime";

export interface TrainOptions {
  /** Passes over the 60,000 training images. */
  epochs: number;
  /** Stop after this many steps, if fewer than the epochs make. */
  maxSteps?: number;
  /** Test images to score (the first ones); all 10,000 by default. */
  testCount?: number;
  /** Seed of the initial weights and of the shuffles. */
  seed?: number;
  a2s?: Partial<A2SOptions>;
}

export interface TrainResult {
  steps: number;
  /** Each step's batch loss, measured before the step. */
  losses: number[];
  testAccuracy: number;
  seconds: number;
  diagnostics: StepDiagnostics | undefined;
}

export async function trainMnist(options: TrainOptions): Promise<TrainResult> {
  const { train, test } = await loadMnist();
  const seed = options.seed ?? 1;
  const optimizer = new A2S(options.a2s);
  // He-normal initial weights from @a2s/mlp, the layout the trainer takes.
  const trainer = createTrainer({ model: { params: new Mlp({ seed }).params }, optimizer });
  try {
    const random = mulberry32(seed);
    const maxSteps = options.maxSteps ?? Number.POSITIVE_INFINITY;
    const losses: number[] = [];
    const started = performance.now();
    for (let epoch = 0; epoch < options.epochs && losses.length < maxSteps; epoch++) {
      for (const { x, y } of batches(train, 64, permutation(train.count, random))) {
        // trainStep copies the batch at the call (batches reuses its buffers); awaiting
        // keeps one step in flight and the losses in order.
        losses.push(await trainer.trainStep(x, y));
        if (losses.length >= maxSteps) break;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const testCount = options.testCount ?? test.count;
    const testAccuracy = await trainer.evaluate(
      test.images.subarray(0, testCount * 784),
      test.labels.subarray(0, testCount),
    );
    return { steps: losses.length, losses, testAccuracy, seconds, diagnostics: optimizer.diagnostics };
  } finally {
    await trainer.dispose();
  }
}
