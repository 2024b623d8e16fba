/**
 * How a stack plugs into the experiment. An adapter is a module `src/adapters/<name>.ts`
 * whose default export is an {@link ExperimentAdapter}; `--adapter <name>` loads it by
 * dynamic import (no registry), so adding a stack means adding one file and editing nothing shared.
 *
 * The experiment owns the data, the shuffling, the timing and the initial weights; an
 * adapter owns only the model and the optimizer on its stack:
 *
 * ```ts
 * const adapter: ExperimentAdapter = {
 *   name: "mystack",
 *   createRun({ algorithm, initialParams, maxBatch }) {
 *     // build the 784-128-64-10 ReLU MLP from initialParams, and the stack's optimizer
 *     // for `algorithm` (every adapter package has an Optimizer class over any algorithm)
 *     return { step(x, y) { ...; return batchLoss; }, evaluate(x, y) { ...; return accuracy; } };
 *   },
 * };
 * export default adapter;
 * ```
 */
import { readdir } from "node:fs/promises";
import type { Algorithm, StepDiagnostics } from "@a2s/core";

/** What one training run needs. */
export interface RunSpec {
  /** The optimizer's algorithm with its options (`@a2s/core`'s `a2s(...)`, `adam(...)`, ...). */
  algorithm: Algorithm;
  /**
   * The weights every run starts from, keyed `W1 b1 W2 b2 W3 b3`; `Wn` is [in, out]
   * row-major (`y = x W + b`), so W1 holds 784 x 128 floats. Copy them: they are shared.
   */
  initialParams: Readonly<Record<string, Float32Array>>;
  /** Largest batch `step` and `evaluate` will pass (64). */
  maxBatch: number;
}

/** One model with one optimizer. */
export interface TrainingRun {
  /**
   * One optimizer step on a batch (`x`: rows of 784 pixels in [0, 1], `y`: digits);
   * returns the batch's mean cross-entropy before the step. The arrays are reused by the
   * next batch: copy what you keep.
   */
  step(x: Float32Array, y: Uint8Array): number | Promise<number>;
  /** Share of `x` classified as `y` says, in [0, 1] (the whole test set in one call). */
  evaluate(x: Float32Array, y: Uint8Array): number | Promise<number>;
  /** What the last step did (the experiment records A2S's `w`, `lrScale` and the automatic switch). */
  diagnostics?(): StepDiagnostics | undefined | Promise<StepDiagnostics | undefined>;
  dispose?(): void | Promise<void>;
}

export interface ExperimentAdapter {
  /** Shown in the table, the JSON and the chart. */
  name: string;
  createRun(spec: RunSpec): TrainingRun | Promise<TrainingRun>;
}

/** An adapter name that is not a module in `adapters/`. */
export class UnknownAdapterError extends Error {
  readonly adapter: string;
  readonly available: readonly string[];
  constructor(adapter: string, available: readonly string[]) {
    super(`unknown adapter ${JSON.stringify(adapter)}; available: ${available.join(", ")}`);
    this.name = "UnknownAdapterError";
    this.adapter = adapter;
    this.available = available;
  }
}

const ADAPTERS_DIR = new URL("./adapters/", import.meta.url);

/** Adapter name -> module file beside this one (`.js` when built, `.ts` under vitest). */
async function adapterFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const file of (await readdir(ADAPTERS_DIR)).sort()) {
    const match = /^(.+)\.(js|ts)$/.exec(file);
    if (match && !file.endsWith(".d.ts") && !files.has(match[1] as string))
      files.set(match[1] as string, file);
  }
  return files;
}

/** Names of the adapters that `--adapter` accepts. */
export async function availableAdapters(): Promise<string[]> {
  return [...(await adapterFiles()).keys()];
}

/** Loads `adapters/<name>`; throws {@link UnknownAdapterError} listing the others. */
export async function loadAdapter(name: string): Promise<ExperimentAdapter> {
  const files = await adapterFiles();
  // Looked up in the listing, so that a name can never reach outside adapters/.
  const file = files.get(name);
  if (file === undefined) throw new UnknownAdapterError(name, [...files.keys()]);
  const module = (await import(/* @vite-ignore */ new URL(file, ADAPTERS_DIR).href)) as {
    default?: ExperimentAdapter;
  };
  if (typeof module.default?.createRun !== "function") {
    throw new Error(`adapters/${file} has no default export with createRun()`);
  }
  return module.default;
}
