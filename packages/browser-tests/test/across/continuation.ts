/**
 * The state tier's run, split where a checkpoint crosses between Node and the browser: one
 * side steps the state tier's problem to the save and saves; the other loads and steps on.
 * This module runs on both sides (the browser test imports it, and so does the Node command
 * that vitest.config.ts registers), so both step the same problem with the same code.
 * Everything that crosses is plain JSON (numbers survive it exactly).
 */
import { type AdapterDescription, NoisyQuadratic, runSteps, STATE_SUBJECTS } from "@a2s/conformance";
import type { FloatDType } from "@a2s/core";

/** The state tier's: with its A2S subjects' switchIter 5 and blendIters 20, step 12 is inside the blend. */
export const SEED = 31;
export const SAVE_AT = 12;
export const TOTAL_STEPS = 30;
export const SUBJECTS = Object.keys(STATE_SUBJECTS);

/** The adapters that cross: each side makes its own build of the one named. */
export type AcrossAdapter = "typed" | "tfjs wasm";

/** Parameters by name, as plain numbers. */
export type Plain = Record<string, number[]>;

export interface Saved {
  /** The checkpoint's bytes. */
  checkpoint: number[];
  /** The parameters at the save: a checkpoint holds the optimizer's state, not the model's. */
  params: Plain;
}

/** What the loading side continued, and what it saved right after loading. */
export interface Continued {
  trajectory: Plain[];
  /** The loading side's own checkpoint, taken before its first step: the state it read. */
  reloaded: number[];
}

export interface SavedRun {
  saved: Saved;
  /** Parameters after each step from SAVE_AT + 1 through TOTAL_STEPS, of the run that saved (not interrupted). */
  trajectory: Plain[];
}

const plain = (arrays: Readonly<Record<string, ArrayLike<number>>>): Plain =>
  Object.fromEntries(Object.entries(arrays).map(([name, values]) => [name, Array.from(values)]));

/** Steps to SAVE_AT, saves, and steps on to TOTAL_STEPS without interruption. */
export async function runAndSave(
  adapter: AdapterDescription,
  subject: string,
  dtype: FloatDType,
): Promise<SavedRun> {
  const problem = new NoisyQuadratic(SEED);
  const description = STATE_SUBJECTS[subject];
  if (!description) throw new Error(`no state subject ${subject}`);
  const optimizer = await adapter.create(description, problem.initialParams(), dtype);
  try {
    await runSteps(optimizer, problem, 0, SAVE_AT);
    const saved = { checkpoint: Array.from(await optimizer.save()), params: plain(await optimizer.read()) };
    const trajectory = (await runSteps(optimizer, problem, SAVE_AT, TOTAL_STEPS)).map(plain);
    return { saved, trajectory };
  } finally {
    await optimizer.dispose?.();
  }
}

/** Loads `saved` into a new optimizer over its parameters and steps on to TOTAL_STEPS. */
export async function loadAndContinue(
  adapter: AdapterDescription,
  subject: string,
  dtype: FloatDType,
  saved: Saved,
): Promise<Continued> {
  const problem = new NoisyQuadratic(SEED);
  const description = STATE_SUBJECTS[subject];
  if (!description) throw new Error(`no state subject ${subject}`);
  const shapes = problem.initialParams();
  const params = Object.fromEntries(
    Object.entries(saved.params).map(([name, values]) => [
      name,
      { shape: shapes[name]?.shape ?? [values.length], data: Float64Array.from(values) },
    ]),
  );
  const optimizer = await adapter.create(description, params, dtype);
  try {
    await optimizer.load(Uint8Array.from(saved.checkpoint));
    const reloaded = Array.from(await optimizer.save());
    return { trajectory: (await runSteps(optimizer, problem, SAVE_AT, TOTAL_STEPS)).map(plain), reloaded };
  } finally {
    await optimizer.dispose?.();
  }
}

/**
 * The powers `base ** t` that bias corrections take on the host (`1 - beta ** t`), for
 * every base of the subjects and every step of a run: the one host computation whose
 * result Chromium's engine and Node's may round differently.
 */
export const POWER_BASES = [0.9, 0.999];

export function powers(): number[] {
  return POWER_BASES.flatMap((base) => Array.from({ length: TOTAL_STEPS }, (_, i) => base ** (i + 1)));
}
