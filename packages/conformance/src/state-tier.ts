/**
 * State tier: save inside the blend, load into a new optimizer (of the same adapter and
 * of each peer, both ways), continue; the trajectory must equal the uninterrupted one.
 */
import {
  a2s,
  adam,
  cosineDecaySchedule,
  decodeCheckpoint,
  type FloatDType,
  rmsprop,
  sgdMomentum,
  warmupCosineDecaySchedule,
} from "@a2s/core";
import { describe, expect, test } from "vitest";
import type { AdapterDescription, HostArrays, OptimizerDescription } from "./adapter.js";
import { describeDifference, TOLERANCE, worstRelativeError } from "./compare.js";
import { outsideAlgorithm } from "./outside-algorithm.js";
import { NoisyQuadratic } from "./problem.js";
import { asHostTensors, copyArrays, create, runSteps } from "./run.js";

export interface StateTierOptions {
  /** Other adapters whose checkpoints this one must load, and which must load its own. */
  peers?: readonly AdapterDescription[];
}

const STATE_SEED = 31;
const TOTAL_STEPS = 30;
/** With switchIter 5 and blendIters 20, step 12 has w = 0.65: the save lands inside the blend. */
const SAVE_AT = 12;
/** The optimizers the tier moves between optimizers and adapters, by name. */
export const STATE_SUBJECTS: Readonly<Record<string, OptimizerDescription>> = {
  A2S: {
    algorithm: a2s,
    options: { switchIter: 5, blendIters: 20, lrAdam: 0.01, lrSgd: 0.02, curvatureK: 0.5 },
  },
  Adam: { algorithm: adam, options: { learningRate: 0.01 } },
  RMSProp: { algorithm: rmsprop, options: { learningRate: 0.01 } },
  SGDMomentum: { algorithm: sgdMomentum, options: { learningRate: 0.02 } },
  "A2S (schedules, weight decay, clipping, groups)": {
    algorithm: a2s,
    options: {
      lrAdam: cosineDecaySchedule({ initValue: 0.02, decaySteps: 25, alpha: 0.1 }),
      lrSgd: warmupCosineDecaySchedule({ initValue: 0, peakValue: 0.03, warmupSteps: 8, decaySteps: 30 }),
      weightDecay: 0.01,
      clipNorm: 1,
      switchIter: 5,
      blendIters: 20,
      curvatureK: 0.5,
      groups: [{ tensors: /^b$/, weightDecay: 0, lrAdam: 0.005 }],
    },
  },
  /** Fires at step 15, after the save at 12: the resumed run must switch at the same step. */
  "A2S (automatic switch)": {
    algorithm: a2s,
    options: {
      switchIter: "auto",
      lrSgd: "auto",
      switchMinSteps: 15,
      switchWindow: 5,
      switchTolerance: 0.2,
      blendIters: 5,
      lrAdam: 0.02,
    },
  },
  NormalizedMomentum: { algorithm: outsideAlgorithm, options: { learningRate: 0.3, halveAfter: 15 } },
};

interface Resumed {
  /** Parameters after each step from `SAVE_AT + 1` through `TOTAL_STEPS`. */
  trajectory: HostArrays[];
  /** The checkpoint taken at `SAVE_AT`, and the destination's own save right after loading it. */
  saved: Uint8Array;
  reloaded: Uint8Array;
}

async function uninterrupted(adapter: AdapterDescription, kind: string, dtype: FloatDType) {
  const problem = new NoisyQuadratic(STATE_SEED);
  const optimizer = await create(adapter, STATE_SUBJECTS[kind] as OptimizerDescription, dtype, problem);
  try {
    return (await runSteps(optimizer, problem, 0, TOTAL_STEPS)).slice(SAVE_AT);
  } finally {
    await optimizer.dispose?.();
  }
}

/** Runs `from` to `SAVE_AT`, saves, loads into a new optimizer of `to`, runs that to the end. */
async function resumed(
  from: AdapterDescription,
  to: AdapterDescription,
  kind: string,
  dtype: FloatDType,
): Promise<Resumed> {
  const problem = new NoisyQuadratic(STATE_SEED);
  const description = STATE_SUBJECTS[kind] as OptimizerDescription;
  const first = await create(from, description, dtype, problem);
  await runSteps(first, problem, 0, SAVE_AT);
  const saved = await first.save();
  const params = copyArrays(await first.read());
  await first.dispose?.();
  const second = await create(to, description, dtype, problem, asHostTensors(problem, params));
  try {
    await second.load(saved);
    const reloaded = await second.save();
    return { trajectory: await runSteps(second, problem, SAVE_AT, TOTAL_STEPS), saved, reloaded };
  } finally {
    await second.dispose?.();
  }
}

/** Step count and every slot value of two checkpoints, bit for bit (shapes may be spelled differently). */
function expectSameState(actual: Uint8Array, expected: Uint8Array): void {
  const a = decodeCheckpoint(actual);
  const e = decodeCheckpoint(expected);
  expect(a.algorithm).toBe(e.algorithm);
  expect(a.t).toBe(e.t);
  expect(a.options).toEqual(e.options);
  expect(a.scalars).toEqual(e.scalars);
  expect(a.tensors.map((t) => t.name).sort()).toEqual(e.tensors.map((t) => t.name).sort());
  for (const tensor of e.tensors) {
    const other = a.tensors.find((t) => t.name === tensor.name);
    const difference = describeDifference(other?.slots ?? {}, tensor.slots);
    expect(difference, `state of ${tensor.name}`).toBeUndefined();
  }
}

/** Registers the state tier for every kind and dtype of `adapter`, and against each peer. */
export function stateTier(adapter: AdapterDescription, options: StateTierOptions = {}): void {
  describe(`${adapter.name}: state tier`, () => {
    for (const kind of Object.keys(STATE_SUBJECTS)) {
      for (const dtype of adapter.dtypes) {
        test(`${kind} ${dtype}: saved at step ${SAVE_AT} inside the blend, loaded into a new optimizer, continues bit for bit`, async () => {
          const expected = await uninterrupted(adapter, kind, dtype);
          const { trajectory, saved, reloaded } = await resumed(adapter, adapter, kind, dtype);
          expectSameState(reloaded, saved);
          trajectory.forEach((params, i) => {
            expect(
              describeDifference(params, expected[i] as HostArrays),
              `step ${SAVE_AT + 1 + i}`,
            ).toBeUndefined();
          });
        });

        test(`${kind} ${dtype}: loading its own checkpoint mid-run changes nothing`, async () => {
          const problem = new NoisyQuadratic(STATE_SEED);
          const optimizer = await create(
            adapter,
            STATE_SUBJECTS[kind] as OptimizerDescription,
            dtype,
            problem,
          );
          try {
            await runSteps(optimizer, problem, 0, SAVE_AT);
            await optimizer.load(await optimizer.save());
            const trajectory = await runSteps(optimizer, problem, SAVE_AT, TOTAL_STEPS);
            const expected = await uninterrupted(adapter, kind, dtype);
            trajectory.forEach((params, i) => {
              expect(
                describeDifference(params, expected[i] as HostArrays),
                `step ${SAVE_AT + 1 + i}`,
              ).toBeUndefined();
            });
          } finally {
            await optimizer.dispose?.();
          }
        });

        for (const peer of options.peers ?? []) {
          if (!peer.dtypes.includes(dtype)) continue;
          for (const [from, to] of [
            [adapter, peer],
            [peer, adapter],
          ] as const) {
            test(`${kind} ${dtype}: saved by ${from.name}, continued by ${to.name}`, async () => {
              const expected = await uninterrupted(from, kind, dtype);
              const { trajectory, saved, reloaded } = await resumed(from, to, kind, dtype);
              // The state itself crosses exactly: same dtype, same numbers.
              expectSameState(reloaded, saved);
              // The continuation is computed by another implementation, which may round
              // differently (a fused float32 kernel keeps float64 intermediates, a device
              // may fuse operations), so it is held to the math tier's tolerance.
              trajectory.forEach((params, i) => {
                expect(
                  worstRelativeError(params, expected[i] as HostArrays),
                  `step ${SAVE_AT + 1 + i}`,
                ).toBeLessThanOrEqual(TOLERANCE[dtype]);
              });
            });
          }
        }
      }
    }
  });
}
