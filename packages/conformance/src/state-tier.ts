/**
 * State tier: save inside the blend, load into a new optimizer (of the same adapter and
 * of each peer, both ways), continue; the trajectory must equal the uninterrupted one.
 */
import { decodeCheckpoint, type FloatDType } from "@a2s/core";
import { describe, expect, test } from "vitest";
import type { AdapterDescription, OptimizerKind } from "./adapter.js";
import { describeDifference, TOLERANCE, worstRelativeError } from "./compare.js";
import { NoisyQuadratic } from "./problem.js";
import { asHostTensors, copyParams, create, type HostParams, runSteps } from "./run.js";

export interface StateTierOptions {
  /** Other adapters whose checkpoints this one must load, and which must load its own. */
  peers?: readonly AdapterDescription[];
}

const STATE_SEED = 31;
const TOTAL_STEPS = 30;
/** With switchIter 5 and blendIters 20, step 12 has w = 0.65: the save lands inside the blend. */
const SAVE_AT = 12;
const OPTIONS: Record<OptimizerKind, Record<string, number>> = {
  A2S: { switchIter: 5, blendIters: 20, lrAdam: 0.01, lrSgd: 0.02, curvatureK: 0.5 },
  Adam: { learningRate: 0.01 },
  RMSProp: { learningRate: 0.01 },
  SGDMomentum: { learningRate: 0.02 },
};

interface Resumed {
  /** Parameters after each step from `SAVE_AT + 1` through `TOTAL_STEPS`. */
  trajectory: HostParams[];
  /** The checkpoint taken at `SAVE_AT`, and the destination's own save right after loading it. */
  saved: Uint8Array;
  reloaded: Uint8Array;
}

async function uninterrupted(adapter: AdapterDescription, kind: OptimizerKind, dtype: FloatDType) {
  const problem = new NoisyQuadratic(STATE_SEED);
  const optimizer = await create(adapter, kind, OPTIONS[kind], dtype, problem);
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
  kind: OptimizerKind,
  dtype: FloatDType,
): Promise<Resumed> {
  const problem = new NoisyQuadratic(STATE_SEED);
  const first = await create(from, kind, OPTIONS[kind], dtype, problem);
  await runSteps(first, problem, 0, SAVE_AT);
  const saved = await first.save();
  const params = copyParams(await first.read());
  await first.dispose?.();
  const second = await create(to, kind, OPTIONS[kind], dtype, problem, asHostTensors(problem, params));
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
  expect(Object.keys(a.tensors).sort()).toEqual(Object.keys(e.tensors).sort());
  for (const [name, tensor] of Object.entries(e.tensors)) {
    const difference = describeDifference((a.tensors[name] as typeof tensor).slots, tensor.slots);
    expect(difference, `state of ${name}`).toBeUndefined();
  }
}

/** Registers the state tier for every kind and dtype of `adapter`, and against each peer. */
export function stateTier(adapter: AdapterDescription, options: StateTierOptions = {}): void {
  describe(`${adapter.name}: state tier`, () => {
    for (const kind of adapter.kinds) {
      for (const dtype of adapter.dtypes) {
        test(`${kind} ${dtype}: saved at step ${SAVE_AT} inside the blend, loaded into a new optimizer, continues bit for bit`, async () => {
          const expected = await uninterrupted(adapter, kind, dtype);
          const { trajectory, saved, reloaded } = await resumed(adapter, adapter, kind, dtype);
          expectSameState(reloaded, saved);
          trajectory.forEach((params, i) => {
            expect(
              describeDifference(params, expected[i] as HostParams),
              `step ${SAVE_AT + 1 + i}`,
            ).toBeUndefined();
          });
        });

        test(`${kind} ${dtype}: loading its own checkpoint mid-run changes nothing`, async () => {
          const problem = new NoisyQuadratic(STATE_SEED);
          const optimizer = await create(adapter, kind, OPTIONS[kind], dtype, problem);
          try {
            await runSteps(optimizer, problem, 0, SAVE_AT);
            await optimizer.load(await optimizer.save());
            const trajectory = await runSteps(optimizer, problem, SAVE_AT, TOTAL_STEPS);
            const expected = await uninterrupted(adapter, kind, dtype);
            trajectory.forEach((params, i) => {
              expect(
                describeDifference(params, expected[i] as HostParams),
                `step ${SAVE_AT + 1 + i}`,
              ).toBeUndefined();
            });
          } finally {
            await optimizer.dispose?.();
          }
        });

        for (const peer of options.peers ?? []) {
          if (!peer.kinds.includes(kind) || !peer.dtypes.includes(dtype)) continue;
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
                  worstRelativeError(params, expected[i] as HostParams),
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
