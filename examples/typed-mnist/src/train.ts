/** The seed's MLP (784-128-64-10, ReLU) trained on MNIST by @a2s/typed's A2S, batches of 64. */

import { Mlp } from "@a2s/mlp";
import { batches, loadMnist, mulberry32, permutation } from "@a2s/mnist";
import { A2S, type A2SOptions, type StepDiagnostics } from "@a2s/typed";

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
  const model = new Mlp({ seed });
  const optimizer = new A2S(options.a2s);
  const random = mulberry32(seed);
  const maxSteps = options.maxSteps ?? Number.POSITIVE_INFINITY;
  const losses: number[] = [];
  const started = performance.now();
  for (let epoch = 0; epoch < options.epochs && losses.length < maxSteps; epoch++) {
    for (const { x, y } of batches(train, 64, permutation(train.count, random))) {
      model.forward(x);
      losses.push(model.loss(y));
      optimizer.update(model.params, model.backward(y));
      if (losses.length >= maxSteps) break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const testCount = options.testCount ?? test.count;
  const { accuracy } = model.evaluate(
    test.images.subarray(0, testCount * 784),
    test.labels.subarray(0, testCount),
  );
  return {
    steps: losses.length,
    losses,
    testAccuracy: accuracy,
    seconds,
    diagnostics: optimizer.diagnostics,
  };
}
