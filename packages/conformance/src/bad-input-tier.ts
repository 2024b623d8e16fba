/**
 * Bad-input tier: every kind of bad input gets its typed error naming the culprit, and
 * changes nothing: the saved state and the parameters are the same bytes afterwards, and
 * the next good step equals that of an optimizer that never saw the bad input.
 */
import { type Checkpoint, crc32, decodeCheckpoint, encodeCheckpoint, type FloatDType } from "@a2s/core";
import { describe, expect, test } from "vitest";
import type { AdapterDescription, OptimizerKind, OptimizerUnderTest } from "./adapter.js";
import { bytesEqual, describeDifference } from "./compare.js";
import { NoisyQuadratic } from "./problem.js";
import { copyParams, create, type HostParams, runSteps } from "./run.js";

/** A failed call's error, as the suite inspects it (errors of `@a2s/core` carry these fields). */
interface CaughtError {
  name: string;
  code?: string;
  message: string;
  tensor?: string;
  index?: number;
  value?: unknown;
  kind?: string;
  option?: string;
  problem?: string;
}

type Attempt = (optimizer: OptimizerUnderTest, grads: HostParams) => unknown;

const BAD_INPUT_SEED = 21;
const OPTIONS: Record<OptimizerKind, Record<string, number>> = {
  A2S: { switchIter: 2, blendIters: 4, lrAdam: 0.01, lrSgd: 0.02, curvatureK: 0.5 },
  Adam: { learningRate: 0.01 },
  RMSProp: { learningRate: 0.01 },
  SGDMomentum: { learningRate: 0.02 },
};

/**
 * Runs `warmSteps` good steps on a victim and a control, makes the bad attempt on the
 * victim only, checks the error with `check`, then checks that nothing changed.
 */
async function refusedWithoutChange(
  adapter: AdapterDescription,
  kind: OptimizerKind,
  dtype: FloatDType,
  warmSteps: number,
  attempt: Attempt,
  check: (error: CaughtError) => void,
): Promise<void> {
  const problem = new NoisyQuadratic(BAD_INPUT_SEED);
  const victim = await create(adapter, kind, OPTIONS[kind], dtype, problem);
  const control = await create(adapter, kind, OPTIONS[kind], dtype, problem);
  try {
    await runSteps(victim, problem, 0, warmSteps);
    await runSteps(control, problem, 0, warmSteps);
    const savedBefore = await victim.save();
    const paramsBefore = copyParams(await victim.read());
    let caught: unknown;
    try {
      await attempt(victim, problem.gradient(paramsBefore, warmSteps + 1));
    } catch (error) {
      caught = error;
    }
    expect(caught, "the bad input must be refused with an error").toBeInstanceOf(Error);
    check(caught as CaughtError);
    expect(bytesEqual(await victim.save(), savedBefore), "optimizer state (save() bytes) unchanged").toBe(
      true,
    );
    expect(
      describeDifference(copyParams(await victim.read()), paramsBefore),
      "parameters unchanged",
    ).toBeUndefined();
    const victimNext = await runSteps(victim, problem, warmSteps, warmSteps + 2);
    const controlNext = await runSteps(control, problem, warmSteps, warmSteps + 2);
    expect(
      describeDifference(victimNext[1] as HostParams, controlNext[1] as HostParams),
      "the next good steps equal those of an optimizer that never saw the bad input",
    ).toBeUndefined();
    expect(bytesEqual(await victim.save(), await control.save()), "state equals the control's").toBe(true);
  } finally {
    await victim.dispose?.();
    await control.dispose?.();
  }
}

function expectNonFinite(tensor: string, index: number, value: number) {
  return (error: CaughtError) => {
    expect(error.name).toBe("NonFiniteGradientError");
    expect(error.code).toBe("NON_FINITE_GRADIENT");
    expect(error.tensor).toBe(tensor);
    expect(error.index).toBe(index);
    expect(Object.is(error.value, value), `value ${String(error.value)}`).toBe(true);
    expect(error.message).toContain(tensor);
    expect(error.message).toContain(String(value));
  };
}

function expectMismatch(tensor: string, kind: string) {
  return (error: CaughtError) => {
    expect(error.name).toBe("TensorMismatchError");
    expect(error.code).toBe("TENSOR_MISMATCH");
    expect(error.tensor).toBe(tensor);
    expect(error.kind).toBe(kind);
    expect(error.message).toContain(tensor);
  };
}

/** A checkpoint refusal; `problem`, when given, is the CheckpointError's `problem`. */
function expectCheckpointRefusal(mentions: string, problem?: string) {
  return (error: CaughtError) => {
    expect(["CheckpointError", "TensorMismatchError", "InvalidOptionError"]).toContain(error.name);
    if (problem !== undefined) {
      expect(error.name).toBe("CheckpointError");
      expect(error.problem).toBe(problem);
    }
    expect(error.message).toContain(mentions);
  };
}

const gradientCases: [string, (g: HostParams) => HostParams, (e: CaughtError) => void][] = [
  ["NaN in W[3]", (g) => withValue(g, "W", 3, Number.NaN), expectNonFinite("W", 3, Number.NaN)],
  [
    "+Infinity in the one-element s",
    (g) => withValue(g, "s", 0, Number.POSITIVE_INFINITY),
    expectNonFinite("s", 0, Number.POSITIVE_INFINITY),
  ],
  [
    "-Infinity in conv[5]",
    (g) => withValue(g, "conv", 5, Number.NEGATIVE_INFINITY),
    expectNonFinite("conv", 5, Number.NEGATIVE_INFINITY),
  ],
  ["a missing tensor (conv)", (g) => without(g, "conv"), expectMismatch("conv", "missing")],
  [
    "an extra tensor (extra)",
    (g) => ({ ...g, extra: new Float64Array(3) }),
    expectMismatch("extra", "unexpected"),
  ],
  [
    "a length mismatch (conv of 7)",
    (g) => ({ ...g, conv: new Float64Array(7) }),
    expectMismatch("conv", "length"),
  ],
];

function withValue(g: HostParams, name: string, index: number, value: number): HostParams {
  const copy = copyParams(g);
  (copy[name] as Float64Array)[index] = value;
  return copy;
}

function without(g: HostParams, name: string): HostParams {
  const copy = copyParams(g);
  delete copy[name];
  return copy;
}

const INVALID_OPTIONS: Record<OptimizerKind, [string, number][]> = {
  A2S: [
    ["lrAdam", 0],
    ["lrAdam", Number.NaN],
    ["lrSgd", -0.01],
    ["lrSgd", Number.POSITIVE_INFINITY],
    ["beta1", 1],
    ["beta2", -0.1],
    ["momentum", 1],
    ["curvatureK", -1],
    ["curvatureK", Number.POSITIVE_INFINITY],
    ["switchIter", 2.5],
    ["switchIter", -1],
    ["blendIters", 0],
    ["epsilon", 0],
    ["windowSize", 0],
    ["lr", 0.01],
  ],
  Adam: [
    ["learningRate", 0],
    ["beta1", 1],
    ["beta2", 1.5],
    ["epsilon", -1],
  ],
  RMSProp: [
    ["learningRate", -1],
    ["decay", 1],
    ["epsilon", 0],
  ],
  SGDMomentum: [
    ["learningRate", Number.NaN],
    ["momentum", 1],
  ],
};

/** Slots of each algorithm in the core format, to forge checkpoints of another algorithm. */
const SLOTS: Record<OptimizerKind, string[]> = {
  A2S: ["m", "v", "buf", "prev"],
  Adam: ["m", "v"],
  RMSProp: ["v"],
  SGDMomentum: ["buf"],
};

/** An option every algorithm of `kind` has, for which -1 is out of range. */
const storedOption = (kind: OptimizerKind) => (kind === "SGDMomentum" ? "momentum" : "epsilon");

function reencode(bytes: Uint8Array, change: (checkpoint: Checkpoint) => Checkpoint): Uint8Array {
  return encodeCheckpoint(change(decodeCheckpoint(bytes)));
}

const checkpointCases: [
  string,
  (saved: Uint8Array, kind: OptimizerKind) => Uint8Array,
  (kind: OptimizerKind) => (e: CaughtError) => void,
][] = [
  [
    "a checkpoint of another algorithm",
    (saved, kind) => {
      const other: OptimizerKind = kind === "A2S" ? "Adam" : "A2S";
      return reencode(saved, (c) => ({
        ...c,
        algorithm: other,
        tensors: Object.fromEntries(
          Object.entries(c.tensors).map(([name, t]) => {
            const length = (Object.values(t.slots)[0] as Float64Array).length;
            return [
              name,
              {
                shape: t.shape,
                slots: Object.fromEntries(SLOTS[other].map((s) => [s, new Float64Array(length)])),
              },
            ];
          }),
        ),
      }));
    },
    (kind) => expectCheckpointRefusal(kind === "A2S" ? "Adam" : "A2S", "algorithm"),
  ],
  [
    "another format version",
    (saved) => {
      const bytes = saved.slice();
      const view = new DataView(bytes.buffer);
      view.setUint32(8, 2, true);
      // A valid checksum, so that only the version is wrong.
      view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
      return bytes;
    },
    () => expectCheckpointRefusal("version", "version"),
  ],
  [
    "a flipped bit in the data",
    (saved) => {
      const bytes = saved.slice();
      bytes[bytes.length - 12] = (bytes[bytes.length - 12] as number) ^ 0x10;
      return bytes;
    },
    () => expectCheckpointRefusal("checksum", "checksum"),
  ],
  [
    "truncated bytes",
    (saved) => saved.slice(0, Math.floor(saved.length / 2)),
    () => expectCheckpointRefusal("checkpoint"),
  ],
  [
    "bytes that are no checkpoint",
    () => new TextEncoder().encode("certainly not a checkpoint"),
    () => expectCheckpointRefusal("checkpoint"),
  ],
  [
    "a tensor of another length (conv of 9)",
    (saved) =>
      reencode(saved, (c) => {
        const conv = c.tensors.conv as Checkpoint["tensors"][string];
        const slots = Object.fromEntries(
          Object.entries(conv.slots).map(([s, a]) => [
            s,
            Float64Array.from({ length: 9 }, (_, i) => a[i] ?? 0),
          ]),
        );
        return { ...c, tensors: { ...c.tensors, conv: { shape: [9], slots } } };
      }),
    () => expectCheckpointRefusal("conv"),
  ],
  [
    "a missing tensor (conv)",
    (saved) =>
      reencode(saved, (c) => {
        const tensors = { ...c.tensors };
        delete tensors.conv;
        return { ...c, tensors };
      }),
    () => expectCheckpointRefusal("conv"),
  ],
  [
    "an invalid stored option (-1)",
    (saved, kind) => reencode(saved, (c) => ({ ...c, options: { ...c.options, [storedOption(kind)]: -1 } })),
    (kind) => expectCheckpointRefusal(storedOption(kind)),
  ],
];

/** Registers the bad-input tier for every optimizer kind and dtype of `adapter`. */
export function badInputTier(adapter: AdapterDescription): void {
  describe(`${adapter.name}: bad input tier`, () => {
    for (const kind of adapter.kinds) {
      for (const dtype of adapter.dtypes) {
        describe(`${kind} ${dtype}`, () => {
          for (const warmSteps of [0, 3]) {
            const when = warmSteps === 0 ? "on the first step" : `after ${warmSteps} steps`;
            for (const [what, damage, check] of gradientCases) {
              test(`refuses ${what} ${when}, changing nothing`, () =>
                refusedWithoutChange(adapter, kind, dtype, warmSteps, (o, g) => o.step(damage(g)), check));
            }
            if (adapter.stepRaw) {
              const stepRaw = adapter.stepRaw;
              test(`refuses mixed dtypes (W in the other dtype) ${when}, changing nothing`, () =>
                refusedWithoutChange(
                  adapter,
                  kind,
                  dtype,
                  warmSteps,
                  (o, g) => {
                    const raw = Object.fromEntries(
                      Object.entries(g).map(([name, v]) => [
                        name,
                        dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v),
                      ]),
                    );
                    raw.W =
                      dtype === "float64"
                        ? Float32Array.from(g.W as Float64Array)
                        : Float64Array.from(g.W as Float64Array);
                    return stepRaw(o, raw);
                  },
                  expectMismatch("W", "dtype"),
                ));
            }
          }
          for (const [what, forge, check] of checkpointCases) {
            test(`refuses to load ${what}, changing nothing`, () =>
              refusedWithoutChange(
                adapter,
                kind,
                dtype,
                3,
                async (o) => o.load(forge(await o.save(), kind)),
                check(kind),
              ));
          }
        });
      }
      for (const [option, value] of INVALID_OPTIONS[kind]) {
        test(`${kind} refuses option ${option} = ${value} at creation, naming it`, async () => {
          const problem = new NoisyQuadratic(BAD_INPUT_SEED);
          let caught: CaughtError | undefined;
          try {
            const optimizer = await create(
              adapter,
              kind,
              { ...OPTIONS[kind], [option]: value },
              adapter.dtypes[0] as FloatDType,
              problem,
            );
            await optimizer.dispose?.();
          } catch (error) {
            caught = error as CaughtError;
          }
          expect(caught?.name, "error class").toBe("InvalidOptionError");
          expect(caught?.code).toBe("INVALID_OPTION");
          expect(caught?.option).toBe(option);
          expect(Object.is(caught?.value, value), `value ${String(caught?.value)}`).toBe(true);
          expect(caught?.message).toContain(option);
          expect(caught?.message).toContain(String(value));
        });
      }
    }
  });
}
