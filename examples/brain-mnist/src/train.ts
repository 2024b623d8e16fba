/**
 * A brain.js network with the seed's layer sizes (784-128-64-10, ReLU) trained on MNIST
 * by @a2s/brain: brain's own `train` loop and loss, with A2S (or a baseline) in place of
 * its SGD.
 */
import {
  A2SNeuralNetwork,
  type Algorithm,
  a2s,
  adam,
  cosineDecaySchedule,
  rmsprop,
  type Schedule,
  type StepDiagnostics,
  sgdMomentum,
} from "@a2s/brain";
import { loadMnist, type MnistSplit } from "@a2s/mnist";
import { seededBrainJson } from "./brain-json.js";

export const OPTIMIZERS = ["a2s", "adam", "rmsprop", "sgd-momentum"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
export const SCHEDULES = ["constant", "cosine"] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/**
 * brain steps once per pattern, where the seed's rates are meant for means over batches
 * of 64: one pattern's gradient is much noisier, and at the seed's rates ReLU units die
 * (@a2s/brain's README measures it). These are lower; the README of this example gives
 * what each reaches.
 */
export const PER_PATTERN_RATES = {
  a2s: { lrAdam: 3e-4, lrSgd: 2e-3 },
  adam: 3e-4,
  rmsprop: 3e-4,
  "sgd-momentum": 2e-3,
} as const;

/** The algorithm of `name` at its per-pattern rates, constant or decaying to 0 over `steps` (cosine). */
export function makeOptimizer(name: OptimizerName, schedule: ScheduleName, steps: number): Algorithm {
  const rate = (value: number): number | Schedule =>
    schedule === "cosine" ? cosineDecaySchedule({ initValue: value, decaySteps: steps }) : value;
  switch (name) {
    case "a2s": {
      const { lrAdam, lrSgd } = PER_PATTERN_RATES.a2s;
      return a2s({ lrAdam: rate(lrAdam), lrSgd: rate(lrSgd) });
    }
    case "adam":
      return adam({ learningRate: rate(PER_PATTERN_RATES.adam) });
    case "rmsprop":
      return rmsprop({ learningRate: rate(PER_PATTERN_RATES.rmsprop) });
    case "sgd-momentum":
      return sgdMomentum({ learningRate: rate(PER_PATTERN_RATES["sgd-momentum"]) });
  }
}

export interface TrainOptions {
  /** Training images used (the first ones). */
  patterns: number;
  /** Passes over them; the optimizer takes one step per image per pass. */
  passes: number;
  /** Test images to score (the first ones); all 10,000 by default. */
  testCount?: number;
  /** Seed of the initial weights. */
  seed?: number;
  /** Default: A2S at {@link PER_PATTERN_RATES}. */
  optimizer?: Algorithm;
}

export interface TrainResult {
  untrainedAccuracy: number;
  testAccuracy: number;
  /** brain's training error (mean over the last pass) when training stopped. */
  trainingError: number;
  seconds: number;
  /** The optimizer's name and what its last step did. */
  algorithm: string;
  diagnostics: StepDiagnostics | undefined;
}

/** brain's training patterns: the pixels as they are, the label one-hot. */
function toPatterns(split: MnistSplit, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const output = new Array<number>(10).fill(0);
    output[split.labels[i] as number] = 1;
    return { input: Array.from(split.images.subarray(i * 784, (i + 1) * 784)), output };
  });
}

function accuracy(net: A2SNeuralNetwork, split: MnistSplit, count: number): number {
  let correct = 0;
  for (let i = 0; i < count; i++) {
    const scores = net.run(Array.from(split.images.subarray(i * 784, (i + 1) * 784))) as ArrayLike<number>;
    let best = 0;
    for (let k = 1; k < 10; k++) if ((scores[k] as number) > (scores[best] as number)) best = k;
    if (best === split.labels[i]) correct++;
  }
  return correct / count;
}

export async function trainMnist(options: TrainOptions): Promise<TrainResult> {
  const { train, test } = await loadMnist();
  const testCount = options.testCount ?? test.count;
  const optimizer = options.optimizer ?? makeOptimizer("a2s", "constant", options.patterns * options.passes);
  const net = new A2SNeuralNetwork({ optimizer }).fromJSON(seededBrainJson(options.seed ?? 1));
  const untrainedAccuracy = accuracy(net, test, testCount);
  const started = performance.now();
  // A tiny errorThresh runs every pass asked for, rather than stop at brain's default
  // 0.005 (brain refuses 0).
  const status = net.train(toPatterns(train, options.patterns), {
    iterations: options.passes,
    errorThresh: 1e-6,
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    untrainedAccuracy,
    testAccuracy: accuracy(net, test, testCount),
    trainingError: status.error,
    seconds,
    algorithm: net.algorithm,
    diagnostics: net.diagnostics,
  };
}
