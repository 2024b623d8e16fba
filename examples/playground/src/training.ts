/**
 * The training loop every stack shares: the seed's batches of 64 from a seeded shuffle per
 * epoch, one step per batch, test accuracy every few steps and at the end.
 */
import { PARAM_NAMES } from "@a2s/mlp";
import { batches, type Mnist } from "@a2s/mnist";
import { mulberry32, permutation } from "@a2s/random";
import type { NumericOptions, OptimizerId } from "./optimizers.js";
import type { StackId } from "./stacks/registry.js";
import type { StepResult, Trainer } from "./stacks/stack.js";
import type { RunSummary as Summary } from "./summary.js";

export const BATCH_SIZE = 64;

export interface RunRequest {
  stack: StackId;
  optimizer: OptimizerId;
  options: NumericOptions;
  steps: number;
  seed: number;
  /** Test accuracy every this many steps (and after the last). */
  evalEvery: number;
}

/** A finished run's report, with this page's stack and optimizer names. */
export type RunSummary = Summary<StackId, OptimizerId>;

export interface RunHooks {
  onStep(step: number, result: StepResult): void;
  onAccuracy(step: number, accuracy: number): void;
}

/** Refuses steps, evaluation interval or seed that are not whole numbers in range (a form allows any). */
export function checkRunRequest(request: RunRequest): void {
  const limits = { steps: [1, 100_000], evalEvery: [1, 100_000], seed: [0, 2 ** 32 - 1] } as const;
  for (const [name, [min, max]] of Object.entries(limits) as [
    keyof typeof limits,
    readonly [number, number],
  ][]) {
    const value = request[name];
    if (!(Number.isInteger(value) && value >= min && value <= max)) {
      throw new RangeError(`${name} must be a whole number in ${min}..${max}; got ${value}`);
    }
  }
}

export async function train(
  trainer: Trainer,
  data: Mnist,
  request: RunRequest,
  hooks: RunHooks,
): Promise<RunSummary> {
  checkRunRequest(request);
  const { train: trainSet, test } = data;
  const random = mulberry32(request.seed);
  const losses: number[] = [];
  let last: StepResult | undefined;
  let busy = 0;
  while (losses.length < request.steps) {
    for (const { x, y } of batches(trainSet, BATCH_SIZE, permutation(trainSet.count, random))) {
      const started = performance.now();
      last = await trainer.step(x, y);
      busy += performance.now() - started;
      losses.push(last.loss);
      hooks.onStep(losses.length, last);
      if (losses.length === request.steps) break;
      if (losses.length % request.evalEvery === 0) {
        hooks.onAccuracy(losses.length, await trainer.accuracy(test.images, test.labels));
      }
    }
  }
  const testAccuracy = await trainer.accuracy(test.images, test.labels);
  hooks.onAccuracy(losses.length, testAccuracy);
  return {
    stack: request.stack,
    optimizer: request.optimizer,
    steps: losses.length,
    losses,
    testAccuracy,
    w: last?.w ?? null,
    lrScale: last?.lrScale ?? null,
    backend: trainer.backend,
    seed: request.seed,
    options: request.options,
    stepsPerSecond: losses.length / (busy / 1000),
    parametersSha256: await sha256(await trainer.parameters()),
    trainImages: trainSet.count,
    testImages: test.count,
  };
}

/** Hex SHA-256 of the arrays' bytes in PARAM_NAMES order. */
export async function sha256(params: Record<(typeof PARAM_NAMES)[number], Float32Array>): Promise<string> {
  const total = PARAM_NAMES.reduce((n, name) => n + params[name].byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const name of PARAM_NAMES) {
    const p = params[name];
    bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
