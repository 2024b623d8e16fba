/**
 * Pinned host values. A host value that is exactly 0 or 1 in the graph's element type,
 * and stays so for a while, can be recorded as a constant: the blend weight `w` before
 * A2S's switch (1) and after its blend (0), a bias correction once `β^t` no longer shows
 * in it (1). The symbolic operations then leave out what it multiplies by 0 or 1 (the
 * branch a blend does not use, a division by 1). Such a recording fits only the steps
 * where its pinned values hold; the step program runs another one where one differs.
 *
 * A value is pinned only when it holds for {@link PIN_HORIZON} steps from the current
 * one (each new recording costs a session), and only when pinning it leaves out
 * elementwise work (pinning the first-step flag saves nothing after the first step).
 * The horizon is sampled (the next steps one by one, then at doubling distances): a
 * value that changes between samples is pinned for fewer steps than hoped, and unpinned
 * at the first step where it differs, since every step checks its pins.
 */
import type { FloatDType } from "@a2s/core";
import type { HostInput } from "./step-recording.js";

/** Steps a value must keep its 0 or 1 for before it is pinned. */
export const PIN_HORIZON = 1000;

/** Host values pinned, by the name the step gives them. */
export type Pins = ReadonlyMap<string, number>;

export const NO_PINS: Pins = new Map();

/** A key naming a set of pins, the same for equal sets. */
export function pinKey(pins: Pins): string {
  return [...pins]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** What a value of the host becomes in a graph of element type `dtype`. */
export function inDtype(dtype: FloatDType): (x: number) => number {
  return dtype === "float32" ? Math.fround : (x) => x;
}

/** Steps checked one by one before the horizon is sampled at doubling distances. */
const DENSE_STEPS = 16;

/**
 * The first sampled step after `t`, up to `t + horizon`, where `host` no longer gives
 * `value` (a schedule that leaves its range counts as a change), or undefined when it
 * holds at every sample.
 */
function changesAt(
  host: HostInput,
  value: number,
  t: number,
  round: (x: number) => number,
  horizon: number,
): number | undefined {
  for (
    let ahead = 1;
    ahead <= horizon;
    ahead = ahead < DENSE_STEPS ? ahead + 1 : Math.min(2 * ahead, horizon)
  ) {
    try {
      if (round(host.value(t + ahead)) !== value) return t + ahead;
    } catch {
      return t + ahead;
    }
    if (ahead === horizon) break;
  }
  return undefined;
}

/** Chooses, step by step, the host values a recording pins. */
export class PinChooser {
  readonly #round: (x: number) => number;
  /** Candidates not to try again before a step (or ever), by `key=value`. */
  readonly #rejected = new Map<string, number>();

  constructor(
    private readonly host: readonly HostInput[],
    dtype: FloatDType,
    /** The elementwise work of a recording with these pins (see {@link StepRecording.work}). */
    private readonly workOf: (pins: Pins) => number,
    private readonly horizon = PIN_HORIZON,
  ) {
    this.#round = inDtype(dtype);
  }

  /**
   * The pins for step `t`, whose host values are `values` (in the host's order): those of
   * `current` that still hold, and any value newly 0 or 1 that holds for the horizon and
   * saves work. Returns `current` itself when nothing changes.
   */
  choose(t: number, values: readonly number[], current: Pins): Pins {
    const round = this.#round;
    let kept: Map<string, number> | undefined;
    const candidates: [string, number][] = [];
    this.host.forEach((h, k) => {
      const value = round(values[k] as number);
      const pinned = current.get(h.key);
      if (pinned !== undefined) {
        if (pinned !== value) {
          kept ??= new Map(current);
          kept.delete(h.key);
        }
        return;
      }
      if (value !== 0 && value !== 1) return;
      const name = `${h.key}=${value}`;
      if ((this.#rejected.get(name) ?? 0) > t) return;
      const change = changesAt(h, value, t, round, this.horizon);
      if (change === undefined) candidates.push([h.key, value]);
      else this.#rejected.set(name, change);
    });
    if (candidates.length === 0 && kept === undefined) return current;
    const chosen = new Map([...(kept ?? current), ...candidates]);
    if (candidates.length > 0) {
      const work = this.workOf(chosen);
      for (const [key, value] of candidates) {
        const without = new Map(chosen);
        without.delete(key);
        if (this.workOf(without) <= work) {
          chosen.delete(key);
          this.#rejected.set(`${key}=${value}`, Number.POSITIVE_INFINITY);
        }
      }
    }
    return pinKey(chosen) === pinKey(current) ? current : chosen;
  }
}
