/**
 * A2S against brain.js 1.6.1's own optimizers, side by side in one process: the seed's
 * layer sizes (784-128-64-10, relu, which brain applies to every layer), brain's loss,
 * the same MNIST subset, the same initial weights and the same number of iterations
 * (passes over the subset; every optimizer updates once per pattern). Reports test
 * accuracy on the MNIST test set and training seconds.
 *
 *   pnpm turbo run build --filter=@a2s/brain... && pnpm --filter @a2s/brain run compare
 *   node scripts/compare.mjs --train 2000 --iterations 3 --test 10000
 *
 * Writes the table to stdout and the figures to results/compare.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { A2SNeuralNetwork } from "@a2s/brain";
import { loadMnist } from "@a2s/mnist";
import brain from "brain.js";

const { values } = parseArgs({
  options: {
    train: { type: "string", default: "2000" },
    iterations: { type: "string", default: "3" },
    test: { type: "string", default: "10000" },
    seed: { type: "string", default: "7" },
  },
});
const TRAIN = Number(values.train);
const ITERATIONS = Number(values.iterations);
const TEST = Number(values.test);
const SEED = Number(values.seed);
const SIZES = [784, 128, 64, 10];

/** Every optimizer starts from these weights: brain's U(-0.2, 0.2), drawn from a seeded mulberry32. */
function initialJSON() {
  let a = SEED >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const weight = () => Math.fround(0.2 * (2 * random() - 1));
  const layers = [Object.fromEntries(Array.from({ length: SIZES[0] }, (_, i) => [i, {}]))];
  for (let l = 1; l < SIZES.length; l++) {
    const nodes = Array.from({ length: SIZES[l] }, (_, node) => [
      node,
      {
        bias: weight(),
        weights: Object.fromEntries(Array.from({ length: SIZES[l - 1] }, (_, k) => [k, weight()])),
      },
    ]);
    layers.push(Object.fromEntries(nodes));
  }
  return { sizes: SIZES, layers, outputLookup: false, inputLookup: false, activation: "relu", trainOpts: {} };
}

/** brain patterns for the first `count` images of a split: pixels in [0, 1], the label one-hot. */
function patterns(split, count) {
  return Array.from({ length: count }, (_, i) => {
    const output = new Float32Array(10);
    output[split.labels[i]] = 1;
    return { input: split.images.subarray(i * 784, (i + 1) * 784), output };
  });
}

function accuracy(net, data) {
  let correct = 0;
  for (const { input, output } of data) {
    const y = net.run(input);
    let best = 0;
    for (let i = 1; i < 10; i++) if (y[i] > y[best]) best = i;
    if (output[best] === 1) correct++;
  }
  return correct / data.length;
}

const RUNS = [
  { name: "A2S, seed defaults", make: () => new A2SNeuralNetwork(), train: {} },
  {
    name: "A2S, lrAdam 3e-4, lrSgd 2e-3 (the MNIST test's)",
    make: () => new A2SNeuralNetwork({ a2s: { lrAdam: 3e-4, lrSgd: 2e-3 } }),
    train: {},
  },
  {
    name: "brain adam, defaults (learningRate 0.3)",
    make: () => new brain.NeuralNetwork(),
    train: { praxis: "adam" },
  },
  {
    name: "brain adam, learningRate 1e-3",
    make: () => new brain.NeuralNetwork(),
    train: { praxis: "adam", learningRate: 1e-3 },
  },
  {
    name: "brain adam, learningRate 3e-4",
    make: () => new brain.NeuralNetwork(),
    train: { praxis: "adam", learningRate: 3e-4 },
  },
  {
    name: "brain SGD, defaults (learningRate 0.3, momentum 0.1)",
    make: () => new brain.NeuralNetwork(),
    train: {},
  },
  {
    name: "brain SGD, learningRate 0.01",
    make: () => new brain.NeuralNetwork(),
    train: { learningRate: 0.01 },
  },
];

const mnist = await loadMnist();
const trainSet = patterns(mnist.train, TRAIN);
const testSet = patterns(mnist.test, TEST);
const json = initialJSON();
const results = [];
for (const run of RUNS) {
  // brain 1.6.1 sets up its adam praxis only while building the layers, from the
  // trainOpts at that moment: options given to train() later are too late for it. So the
  // training options go into the JSON the network is built from, and into train() too
  // (which resets every option it is not given to brain's default).
  const net = run.make().fromJSON({ ...structuredClone(json), trainOpts: { ...run.train } });
  if ((run.train.praxis === "adam") !== (net.adjustWeights === net._adjustWeightsAdam)) {
    throw new Error(`${run.name}: brain's praxis is not the one asked for`);
  }
  const load = loadavg()[0];
  const start = performance.now();
  // errorThresh below any reachable error, so that every run takes all its iterations.
  const status = net.train(trainSet, { iterations: ITERATIONS, errorThresh: 1e-9, ...run.train });
  const seconds = (performance.now() - start) / 1000;
  const result = {
    name: run.name,
    accuracy: accuracy(net, testSet),
    seconds,
    trainingError: status.error,
    iterations: status.iterations,
    loadAverage: load,
  };
  results.push(result);
  console.error(JSON.stringify(result));
}

const a2sSeconds = results[0].seconds;
console.log(`MNIST: first ${TRAIN} training images, ${ITERATIONS} iterations (one update per pattern),`);
console.log(
  `first ${TEST} test images; 784-128-64-10 relu, brain's loss, same initial weights (seed ${SEED}).\n`,
);
console.log("| optimizer | test accuracy | training seconds | seconds / A2S defaults | training error |");
console.log("| --- | --- | --- | --- | --- |");
for (const r of results) {
  console.log(
    `| ${r.name} | ${(100 * r.accuracy).toFixed(1)}% | ${r.seconds.toFixed(1)} | ${(r.seconds / a2sSeconds).toFixed(2)} | ${r.trainingError.toFixed(4)} |`,
  );
}
const out = new URL("../results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("compare.json", out),
  `${JSON.stringify({ train: TRAIN, iterations: ITERATIONS, test: TEST, seed: SEED, node: process.version, results }, null, 2)}\n`,
);
