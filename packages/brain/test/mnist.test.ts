import { loadMnist, type MnistSplit } from "@a2s/mnist";
import { beforeAll, describe, expect, test } from "vitest";
import { A2SNeuralNetwork } from "../src/index.js";
import { brainJSON } from "./reference-mlp.js";

/** brain patterns for the first `count` images: pixels as they are, the label one-hot. */
function patterns(split: MnistSplit, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const output = new Float32Array(10);
    output[split.labels[i] as number] = 1;
    return { input: split.images.subarray(i * 784, (i + 1) * 784), output };
  });
}

function accuracy(net: A2SNeuralNetwork, data: ReturnType<typeof patterns>): number {
  let correct = 0;
  for (const { input, output } of data) {
    const y = net.run(input as unknown as number[]);
    let best = 0;
    for (let i = 1; i < 10; i++) if ((y[i] as number) > (y[best] as number)) best = i;
    if (output[best] === 1) correct++;
  }
  return correct / data.length;
}

// The seed's layer sizes with relu, which brain applies to every layer (output
// included: brain 1.6.1 has no softmax), trained with brain's own loss (half the summed
// squared error) one pattern at a time on the first 2,000 training images, 3 passes:
// 6,000 A2S steps, crossing the whole schedule (Adam to step 1,500, blend to 4,500, then
// SGD with momentum). The seed's learning rates are for means over batches of 64; one
// pattern's gradient is far noisier, and with lrAdam 1e-3 / lrSgd 1e-2 relu units die
// (measured 0.30 test accuracy). The seed's tuning advice, lower rates, gives these.
const A2S_OPTIONS = { lrAdam: 3e-4, lrSgd: 2e-3 };
const TRAIN_COUNT = 2000;
const ITERATIONS = 3;
const TEST_COUNT = 1000;
// Measured: 0.777 (777 of the first 1,000 test images). Initial weights are seeded and
// brain's relu network uses only + and *, so the run is reproducible to the bit; the
// floor sits 2.7 points below to leave room for a change in the order of a kernel's
// sums, while an optimizer that does not learn (0.10 untrained) or that loses its SGD
// phase (0.30 above) falls far below it.
const FLOOR = 0.75;

describe("MNIST, 784-128-64-10 relu, brain's loss, per-pattern A2S", () => {
  let train: ReturnType<typeof patterns>;
  let testSet: ReturnType<typeof patterns>;
  beforeAll(async () => {
    const mnist = await loadMnist();
    train = patterns(mnist.train, TRAIN_COUNT);
    testSet = patterns(mnist.test, TEST_COUNT);
  });

  test(`reaches ${FLOOR} test accuracy after ${ITERATIONS} passes over ${TRAIN_COUNT} images`, () => {
    const net = new A2SNeuralNetwork({ a2s: A2S_OPTIONS }).fromJSON(
      brainJSON([784, 128, 64, 10], "relu", 7, 0.2),
    );
    const untrained = accuracy(net, testSet);
    const status = net.train(train, { iterations: ITERATIONS, errorThresh: 1e-6 });
    expect(status.iterations).toBe(ITERATIONS);
    expect(net.diagnostics?.t).toBe(TRAIN_COUNT * ITERATIONS);
    expect(net.diagnostics?.w).toBe(0);
    const trained = accuracy(net, testSet);
    console.log(
      `MNIST test accuracy: untrained ${untrained}, trained ${trained}, training error ${status.error}`,
    );
    expect(untrained).toBeLessThan(0.2);
    expect(trained).toBeGreaterThanOrEqual(FLOOR);
  }, 180_000);
});
