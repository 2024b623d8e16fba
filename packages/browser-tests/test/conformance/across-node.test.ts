/**
 * State tier across Node and Chromium: a checkpoint @a2s/typed (or @a2s/tfjs on the wasm
 * backend) saves in the browser is loaded by the same adapter in Node (Vitest's Node
 * process, through a browser command) and the run continues there; and the other way round. The loading side must read exactly the
 * state that was saved, and continue the saving side's uninterrupted run.
 */
import { type AdapterDescription, STATE_SUBJECTS } from "@a2s/conformance";
import { a2s, adam, type FloatDType } from "@a2s/core";
import { typedAdapter } from "@a2s/typed/conformance";
import { beforeAll, describe, expect, test } from "vitest";
import { commands } from "vitest/browser";
import { tfjsAdapter } from "../../../tfjs/test/adapter.js";
import {
  type AcrossAdapter,
  type Continued,
  loadAndContinue,
  type Plain,
  powers,
  runAndSave,
  SAVE_AT,
  type Saved,
  type SavedRun,
  SUBJECTS,
  TOTAL_STEPS,
} from "../across/continuation.js";
import { useBackend } from "./tfjs-backends.js";

declare module "vitest/browser" {
  interface BrowserCommands {
    nodeRunAndSave(adapter: AcrossAdapter, subject: string, dtype: FloatDType): Promise<SavedRun>;
    nodeLoadAndContinue(
      adapter: AcrossAdapter,
      subject: string,
      dtype: FloatDType,
      saved: Saved,
    ): Promise<Continued>;
    nodePowers(): Promise<number[]>;
  }
}

/** Largest difference in units in the last place of `dtype`, over every tensor and step. */
function worstUlps(a: Plain[], b: Plain[], dtype: FloatDType): number {
  const epsilon = dtype === "float64" ? 2 ** -52 : 2 ** -23;
  let worst = a.length === b.length ? 0 : Number.POSITIVE_INFINITY;
  a.forEach((step, i) => {
    for (const [name, values] of Object.entries(step)) {
      const other = b[i]?.[name] ?? [];
      if (other.length !== values.length) worst = Number.POSITIVE_INFINITY;
      values.forEach((v, k) => {
        const o = other[k] as number;
        if (Object.is(v, o)) return;
        const ulp = epsilon * 2 ** Math.floor(Math.log2(Math.max(Math.abs(v), Math.abs(o))));
        const d = Math.abs(v - o) / ulp;
        worst = d > worst || Number.isNaN(d) ? d : worst;
      });
    }
  });
  return worst;
}

/** Subjects whose step takes host powers `beta ** t` (bias corrections): A2S and Adam. */
const takesPowers = (subject: string) => {
  const algorithm = STATE_SUBJECTS[subject]?.algorithm;
  return algorithm === a2s || algorithm === adam;
};

/**
 * How far a continuation may be from the uninterrupted run, in ulps of the dtype.
 *
 * Both sides run the same code on the same bits; the one host computation that may round
 * differently is `beta ** t`, which Node 20's V8 and Chromium's compute with different pow
 * routines (this file checks that they differ before it allows anything). A bias correction
 * 1 ulp off changes a step's update by about 1 ulp of the update, which can move the
 * parameter's rounding by at most 1 ulp per step: over the continued steps, at most that
 * many ulps, against a lost or wrong piece of state (a moment, the step count, the blend
 * weight), which moves parameters by 1e-3 relative and more, 10^12 ulps of float64.
 *
 * float32 kernels round those host scalars to float32, where a 1-ulp float64 difference
 * vanishes unless the value sits on a float32 rounding boundary, which none of these
 * powers does (checked below): there, and wherever no power is taken, the runs must be
 * the same bits.
 */
function allowedUlps(subject: string, dtype: FloatDType, powersDiffer: boolean): number {
  if (dtype === "float32" || !takesPowers(subject) || !powersDiffer) return 0;
  return TOTAL_STEPS - SAVE_AT;
}

/** Each adapter in this page's build, and the dtypes it has. */
const ADAPTERS: [AcrossAdapter, AdapterDescription][] = [
  ["typed", typedAdapter()],
  ["tfjs wasm", tfjsAdapter("wasm", useBackend)],
];

describe("state tier across Node and Chromium", () => {
  let powersDiffer = false;
  let here: number[] = [];
  let node: number[] = [];
  const measured: string[] = [];

  beforeAll(async () => {
    node = await commands.nodePowers();
    here = powers();
    powersDiffer = here.some((p, i) => !Object.is(p, node[i]));
    measured.push(
      `powers that differ: ${here.filter((p, i) => !Object.is(p, node[i])).length} of ${here.length}`,
    );
    return () => console.log(`state across Node and Chromium: ${measured.join("; ")}`);
  });

  // What lets float32 demand the same bits below: the powers the two engines round
  // differently, and their bias corrections, are the same once rounded to float32.
  test("the powers Node and Chromium round differently agree in float32", () => {
    expect(here).toHaveLength(node.length);
    here.forEach((p, i) => {
      const q = node[i] as number;
      expect(Math.fround(p)).toBe(Math.fround(q));
      expect(Math.fround(1 - p)).toBe(Math.fround(1 - q));
    });
  });

  for (const [name, adapter] of ADAPTERS) {
    for (const subject of SUBJECTS) {
      for (const dtype of adapter.dtypes) {
        const check = (continued: Continued, saving: SavedRun, direction: string) => {
          // The loading side read exactly what was saved: no arithmetic here, no rounding.
          expect(continued.reloaded).toEqual(saving.saved.checkpoint);
          const ulps = worstUlps(continued.trajectory, saving.trajectory, dtype);
          measured.push(`${name} ${subject} ${dtype} ${direction}: ${ulps} ulps`);
          const allowed = allowedUlps(subject, dtype, powersDiffer);
          if (allowed === 0) expect(continued.trajectory).toEqual(saving.trajectory);
          else expect(ulps).toBeLessThanOrEqual(allowed);
        };

        test(`${name}, ${subject}, ${dtype}: saved in Chromium, continued in Node`, async () => {
          const browser = await runAndSave(adapter, subject, dtype);
          const node = await commands.nodeLoadAndContinue(name, subject, dtype, browser.saved);
          check(node, browser, "Chromium to Node");
        });

        test(`${name}, ${subject}, ${dtype}: saved in Node, continued in Chromium`, async () => {
          const node = await commands.nodeRunAndSave(name, subject, dtype);
          check(await loadAndContinue(adapter, subject, dtype, node.saved), node, "Node to Chromium");
        });
      }
    }
  }
});
