/**
 * The seed's experiment: each optimizer trains the same model from the same weights on
 * the same sequence of shuffled batches, and is scored on the test set after every epoch.
 */

import { type Algorithm, optionSetToJSON, type StepDiagnostics } from "@a2s/core";
import { Mlp, PARAM_NAMES } from "@a2s/mlp";
import { batches, type Mnist, mulberry32, permutation } from "@a2s/mnist";
import type { ExperimentAdapter } from "./adapter.js";
import type { ExperimentConfig } from "./args.js";
import type { OptimizerSetup } from "./optimizers.js";
import type { Progress } from "./progress.js";
import type { EpochRecord, ExperimentResults, OptimizerRecord, SwitchRecord } from "./results.js";

/** He-normal weights and zero biases from `seed`, as @a2s/mlp draws them. */
function initialParams(seed: number): Readonly<Record<string, Float32Array>> {
  const { params } = new Mlp({ seed });
  return Object.freeze(Object.fromEntries(PARAM_NAMES.map((name) => [name, params[name]])));
}

export async function runExperiment(
  config: ExperimentConfig,
  adapter: ExperimentAdapter,
  data: Mnist,
  progress: Progress,
): Promise<ExperimentResults> {
  const startedAt = new Date().toISOString();
  const start = initialParams(config.seed);
  const optimizers: OptimizerRecord[] = [];
  for (const setup of config.optimizers) {
    optimizers.push(await trainOne(config, adapter, data, progress, setup, start));
  }
  return {
    adapter: adapter.name,
    seed: config.seed,
    batchSize: config.batchSize,
    epochs: config.epochs,
    features: { schedule: config.schedule, weightDecay: config.weightDecay, clipNorm: config.clipNorm },
    node: process.version,
    startedAt,
    optimizers,
  };
}

async function trainOne(
  config: ExperimentConfig,
  adapter: ExperimentAdapter,
  { train, test }: Mnist,
  progress: Progress,
  setup: OptimizerSetup,
  start: Readonly<Record<string, Float32Array>>,
): Promise<OptimizerRecord> {
  const stepsPerEpoch = Math.ceil(train.count / config.batchSize);
  const algorithm = setup.algorithm({
    schedule: config.schedule,
    weightDecay: config.weightDecay,
    clipNorm: config.clipNorm,
    totalSteps: config.epochs * stepsPerEpoch,
  });
  const run = await adapter.createRun({ algorithm, initialParams: start, maxBatch: config.batchSize });
  // A fresh generator with the same seed: every optimizer sees the same shuffles.
  const random = mulberry32(config.seed);
  const epochs: EpochRecord[] = [];
  const steps = run.diagnostics ? { w: [] as number[], lrScale: [] as number[] } : undefined;
  let last: StepDiagnostics | undefined;
  progress.start(setup.label, config.epochs * stepsPerEpoch);
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const order = permutation(train.count, random);
      let lossSum = 0;
      let seen = 0;
      const began = performance.now();
      for (const batch of batches(train, config.batchSize, order)) {
        const loss = await run.step(batch.x, batch.y);
        if (!Number.isFinite(loss))
          throw new Error(`${setup.label}: training loss became ${loss} in epoch ${epoch}`);
        lossSum += loss * batch.size;
        seen += batch.size;
        if (steps && run.diagnostics) {
          const d = await run.diagnostics();
          last = d;
          if (d?.w !== undefined && d.lrScale !== undefined) {
            steps.w.push(d.w);
            steps.lrScale.push(d.lrScale);
          }
        }
        progress.step(
          (epoch - 1) * stepsPerEpoch + Math.ceil(seen / config.batchSize),
          epoch,
          lossSum / seen,
        );
      }
      const seconds = (performance.now() - began) / 1000;
      const testAccuracy = await run.evaluate(test.images, test.labels);
      epochs.push({ epoch, trainLoss: lossSum / seen, testAccuracy, seconds });
      progress.epoch(setup.label, epoch, config.epochs, lossSum / seen, testAccuracy, seconds);
    }
  } finally {
    progress.stop();
    await run.dispose?.();
  }
  return {
    label: setup.label,
    algorithm: algorithm.name,
    options: optionSetToJSON(algorithm.optionSet),
    epochs,
    ...(steps && steps.w.length > 0 ? { steps } : {}),
    ...(algorithm.optionSet.values.switchIter === "auto" ? { switch: switchRecord(last, algorithm) } : {}),
  };
}

/** Where the automatic switch fired and the SGD rate it chose (in A2S's momentum form). */
function switchRecord(last: StepDiagnostics | undefined, algorithm: Algorithm): SwitchRecord {
  const switchedAt = last?.switchedAt ?? 0;
  const estimate = last?.sgdEstimate ?? 0;
  return {
    switchedAt: switchedAt > 0 ? switchedAt : null,
    sgdEstimate: switchedAt > 0 ? estimate : null,
    lrSgd: switchedAt > 0 ? estimate * (1 - (algorithm.optionSet.values.momentum as number)) : null,
  };
}
