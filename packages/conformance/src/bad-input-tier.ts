/**
 * Bad-input tier: every kind of bad input gets its typed error naming the culprit, and
 * changes nothing: the saved state and the parameters are the same bytes afterwards, and
 * the next good step equals that of an optimizer that never saw the bad input.
 */
import {
  a2s,
  adam,
  type Checkpoint,
  type CheckpointHeader,
  crc32,
  decodeCheckpoint,
  encodeCheckpoint,
  type FloatDType,
  linearSchedule,
  rmsprop,
  sgdMomentum,
} from "@a2s/core";
import { describe, expect, test } from "vitest";
import type { AdapterDescription, HostArrays, OptimizerDescription, OptimizerUnderTest } from "./adapter.js";
import { bytesEqual, describeDifference } from "./compare.js";
import { NoisyQuadratic } from "./problem.js";
import { copyArrays, create, runSteps } from "./run.js";

/** A failed call's error, as the suite inspects it (errors of `@a2s/core` carry these fields). */
interface CaughtError {
  name: string;
  code?: string;
  message: string;
  tensor?: string;
  slot?: string;
  index?: number;
  value?: unknown;
  kind?: string;
  option?: string;
  problem?: string;
}

type Attempt = (optimizer: OptimizerUnderTest, grads: HostArrays) => unknown;

const BAD_INPUT_SEED = 21;

interface Subject {
  readonly name: string;
  readonly optimizer: OptimizerDescription;
  /** Slots of the algorithm, to forge checkpoints of another one. */
  readonly slots: readonly string[];
  /** Whether the algorithm squares gradients (so that a finite gradient can overflow its state). */
  readonly squares: boolean;
  /** A number option for which -1 is out of range. */
  readonly storedOption: string;
  /** A slot whose values must be >= 0, if any. */
  readonly nonNegativeSlot?: string;
}

const SUBJECTS: readonly Subject[] = [
  {
    name: "A2S",
    optimizer: {
      algorithm: a2s,
      options: { switchIter: 2, blendIters: 4, lrAdam: 0.01, lrSgd: 0.02, curvatureK: 0.5 },
    },
    slots: ["prev", "m", "v", "buf"],
    squares: true,
    storedOption: "epsilon",
    nonNegativeSlot: "v",
  },
  {
    name: "Adam",
    optimizer: { algorithm: adam, options: { learningRate: 0.01 } },
    slots: ["m", "v"],
    squares: true,
    storedOption: "epsilon",
    nonNegativeSlot: "v",
  },
  {
    name: "RMSProp",
    optimizer: { algorithm: rmsprop, options: { learningRate: 0.01 } },
    slots: ["v"],
    squares: true,
    storedOption: "epsilon",
    nonNegativeSlot: "v",
  },
  {
    name: "SGDMomentum",
    optimizer: { algorithm: sgdMomentum, options: { learningRate: 0.02 } },
    slots: ["buf"],
    squares: false,
    storedOption: "momentum",
  },
];

/**
 * Runs `warmSteps` good steps on a victim and a control, makes the bad attempt on the
 * victim only, checks the error with `check`, then checks that nothing changed.
 */
async function refusedWithoutChange(
  adapter: AdapterDescription,
  optimizer: OptimizerDescription,
  dtype: FloatDType,
  warmSteps: number,
  attempt: Attempt,
  check: (error: CaughtError) => void,
): Promise<void> {
  const problem = new NoisyQuadratic(BAD_INPUT_SEED);
  const victim = await create(adapter, optimizer, dtype, problem);
  const control = await create(adapter, optimizer, dtype, problem);
  try {
    await runSteps(victim, problem, 0, warmSteps);
    await runSteps(control, problem, 0, warmSteps);
    const savedBefore = await victim.save();
    const paramsBefore = copyArrays(await victim.read());
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
      describeDifference(copyArrays(await victim.read()), paramsBefore),
      "parameters unchanged",
    ).toBeUndefined();
    const victimNext = await runSteps(victim, problem, warmSteps, warmSteps + 2);
    const controlNext = await runSteps(control, problem, warmSteps, warmSteps + 2);
    expect(
      describeDifference(victimNext[1] as HostArrays, controlNext[1] as HostArrays),
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

function expectNonFiniteResult(tensor: string, slot: string, index: number) {
  return (error: CaughtError) => {
    expect(error.name).toBe("NonFiniteResultError");
    expect(error.code).toBe("NON_FINITE_RESULT");
    expect(error.tensor).toBe(tensor);
    expect(error.slot).toBe(slot);
    expect(error.index).toBe(index);
    expect(error.message).toContain(tensor);
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

function expectCheckpointError(problem: string, mentions: string) {
  return (error: CaughtError) => {
    expect(error.name).toBe("CheckpointError");
    expect(error.code).toBe("INVALID_CHECKPOINT");
    expect(error.problem).toBe(problem);
    expect(error.message).toContain(mentions);
  };
}

function expectInvalidOption(option: string, value: unknown) {
  return (error: CaughtError) => {
    expect(error.name).toBe("InvalidOptionError");
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.option).toBe(option);
    expect(
      Object.is(error.value, value) || JSON.stringify(error.value) === JSON.stringify(value),
      `value ${String(error.value)}`,
    ).toBe(true);
    expect(error.message).toContain(option);
  };
}

function withValue(g: HostArrays, name: string, index: number, value: number): HostArrays {
  const copy = copyArrays(g);
  (copy[name] as Float64Array)[index] = value;
  return copy;
}

function without(g: HostArrays, name: string): HostArrays {
  const copy = copyArrays(g);
  delete copy[name];
  return copy;
}

const gradientCases: [string, (g: HostArrays) => HostArrays, (e: CaughtError) => void][] = [
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

/** A finite gradient whose square the dtype cannot hold. */
const OVERFLOWING: Readonly<Record<FloatDType, number>> = { float32: 1e38, float64: 1e200 };

/** Rewrites a checkpoint's JSON header (and its checksum), for damage that encodeCheckpoint refuses to write. */
function forgeHeader(bytes: Uint8Array, change: (header: CheckpointHeader) => void): Uint8Array {
  const pad8 = (n: number) => (n + 7) & ~7;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))) as CheckpointHeader;
  change(header);
  const text = new TextEncoder().encode(JSON.stringify(header));
  const data = bytes.subarray(pad8(16 + length), bytes.length - 4);
  const start = pad8(16 + text.length);
  const out = new Uint8Array(start + data.length + 4);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(12, text.length, true);
  out.set(text, 16);
  out.set(data, start);
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

function reencode(bytes: Uint8Array, change: (checkpoint: Checkpoint) => Checkpoint): Uint8Array {
  return encodeCheckpoint(change(decodeCheckpoint(bytes)));
}

const mapSlots = (
  c: Checkpoint,
  f: (slot: string, a: Float32Array | Float64Array, tensor: string) => Float32Array | Float64Array,
) => ({
  ...c,
  tensors: c.tensors.map((t) => ({
    ...t,
    slots: Object.fromEntries(Object.entries(t.slots).map(([s, a]) => [s, f(s, a, t.name)])),
  })),
});

const checkpointCases: [
  string,
  (saved: Uint8Array, subject: Subject, dtype: FloatDType) => Uint8Array,
  (subject: Subject) => (e: CaughtError) => void,
  ((subject: Subject, dtype: FloatDType) => boolean)?,
][] = [
  [
    "a checkpoint of another algorithm",
    (saved, subject) => {
      const other = subject.name === "A2S" ? "Adam" : "A2S";
      const slots = other === "A2S" ? ["prev", "m", "v", "buf"] : ["m", "v"];
      return reencode(saved, (c) => ({
        ...c,
        algorithm: other,
        tensors: c.tensors.map((t) => {
          const length = (Object.values(t.slots)[0] as Float64Array).length;
          return { ...t, slots: Object.fromEntries(slots.map((s) => [s, new Float64Array(length)])) };
        }),
      }));
    },
    (subject) => expectCheckpointError("algorithm", subject.name === "A2S" ? "Adam" : "A2S"),
  ],
  [
    "an unknown format version (99)",
    (saved) => {
      const bytes = saved.slice();
      const view = new DataView(bytes.buffer);
      view.setUint32(8, 99, true);
      // A valid checksum, so that only the version is wrong.
      view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
      return bytes;
    },
    () => expectCheckpointError("version", "99"),
  ],
  [
    "a flipped bit in the data",
    (saved) => {
      const bytes = saved.slice();
      bytes[bytes.length - 12] = (bytes[bytes.length - 12] as number) ^ 0x10;
      return bytes;
    },
    () => expectCheckpointError("checksum", "CRC"),
  ],
  [
    "truncated bytes",
    (saved) => saved.slice(0, Math.floor(saved.length / 2)),
    () => expectCheckpointError("checksum", "CRC"),
  ],
  [
    "bytes that are no checkpoint",
    () => new TextEncoder().encode("certainly not a checkpoint"),
    () => expectCheckpointError("magic", "not an A2S checkpoint"),
  ],
  [
    "a tensor of another length (conv of 9)",
    (saved) =>
      reencode(saved, (c) => ({
        ...c,
        tensors: c.tensors.map((t) =>
          t.name !== "conv"
            ? t
            : {
                name: t.name,
                shape: [9],
                slots: Object.fromEntries(
                  Object.entries(t.slots).map(([s, a]) => [
                    s,
                    Float64Array.from({ length: 9 }, (_, i) => a[i] ?? 0),
                  ]),
                ),
              },
        ),
      })),
    () => expectCheckpointError("tensors", "conv"),
  ],
  [
    "a missing tensor (conv)",
    (saved) => reencode(saved, (c) => ({ ...c, tensors: c.tensors.filter((t) => t.name !== "conv") })),
    () => expectCheckpointError("tensors", "conv"),
  ],
  [
    "an invalid stored option (-1)",
    (saved, subject) =>
      reencode(saved, (c) => ({ ...c, options: { ...c.options, [subject.storedOption]: -1 } })),
    (subject) => expectCheckpointError("header", subject.storedOption),
  ],
  [
    "a header whose options are empty (they must not become the defaults)",
    (saved) =>
      forgeHeader(saved, (h) => {
        h.options = {};
      }),
    () => expectCheckpointError("header", "stored"),
  ],
  [
    "a negative value in a slot that must be >= 0",
    (saved, subject) =>
      reencode(saved, (c) =>
        mapSlots(c, (slot, a, tensor) => {
          if (slot !== subject.nonNegativeSlot || tensor !== "W") return a;
          const copy = a.slice();
          copy[0] = -1;
          return copy;
        }),
      ),
    (subject) => expectCheckpointError("data", `W.${subject.nonNegativeSlot}[0] is -1`),
    (subject) => subject.nonNegativeSlot !== undefined,
  ],
  [
    "a shape with negative sizes ([-1, -3] for b's 3 elements)",
    (saved) =>
      forgeHeader(saved, (h) => {
        const b = h.tensors.find((t) => t.name === "b");
        if (b) b.shape = [-1, -3];
      }),
    () => expectCheckpointError("header", "b"),
  ],
  [
    "float64 state that float32 tensors cannot hold (1e57)",
    (saved, subject) =>
      reencode(saved, (c) =>
        mapSlots(c, (slot, a, tensor) => {
          const wide = Float64Array.from(a);
          if (slot === (subject.nonNegativeSlot ?? "buf") && tensor === "W") wide[1] = 1e57;
          return wide;
        }),
      ),
    (subject) => expectCheckpointError("data", `W.${subject.nonNegativeSlot ?? "buf"}[1]`),
    (_, dtype) => dtype === "float32",
  ],
];

/** Options refused at creation: the patch, the option the error must name and the value. */
const INVALID_OPTIONS: Readonly<Record<string, [Record<string, unknown>, string, unknown][]>> = {
  A2S: [
    [{ lrAdam: -0.001 }, "lrAdam", -0.001],
    [{ lrAdam: Number.NaN }, "lrAdam", Number.NaN],
    [{ lrSgd: -0.01 }, "lrSgd", -0.01],
    [{ lrSgd: Number.POSITIVE_INFINITY }, "lrSgd", Number.POSITIVE_INFINITY],
    [{ beta1: 1 }, "beta1", 1],
    [{ beta2: -0.1 }, "beta2", -0.1],
    [{ momentum: 1 }, "momentum", 1],
    [{ curvatureK: -1 }, "curvatureK", -1],
    [{ curvatureK: Number.POSITIVE_INFINITY }, "curvatureK", Number.POSITIVE_INFINITY],
    [{ switchIter: 2.5 }, "switchIter", 2.5],
    [{ switchIter: -1 }, "switchIter", -1],
    [{ blendIters: -1 }, "blendIters", -1],
    [{ blendIters: 2.5 }, "blendIters", 2.5],
    [{ epsilon: 0 }, "epsilon", 0],
    [{ epsilon: 1e-46 }, "epsilon", 1e-46],
    [{ windowSize: 0 }, "windowSize", 0],
    [{ lr: 0.01 }, "lr", 0.01],
    [{ weightDecay: -1 }, "weightDecay", -1],
    [{ clipNorm: 0 }, "clipNorm", 0],
    [{ lrAdam: { type: "cosineDecay", initValue: 0.001, decaySteps: 0 } }, "lrAdam.decaySteps", 0],
    [{ lrSgd: { type: "nonsense" } }, "lrSgd", { type: "nonsense" }],
    [{ blend: 0.5, switchIter: 10 }, "blend", 0.5],
    [{ blend: 1.5 }, "blend", 1.5],
    [{ groups: [{ tensors: [], lrAdam: 0.1 }] }, "groups[0].tensors", []],
    [{ groups: [{ tensors: ["W"], curvatureK: 0.1 }] }, "groups[0].curvatureK", 0.1],
    [{ groups: [{ tensors: ["W"], beta1: 2 }] }, "groups[0].beta1", 2],
    [{ groups: { tensors: ["W"] } }, "groups", { tensors: ["W"] }],
    [{ lrSgd: "auto" }, "lrSgd", "auto"],
    [{ switchIter: "sometime" }, "switchIter", "sometime"],
    [{ switchIter: "auto", switchTolerance: 0 }, "switchTolerance", 0],
    [{ switchIter: "auto", switchWindow: 0 }, "switchWindow", 0],
    [{ switchIter: "auto", blend: 0.5 }, "blend", 0.5],
  ],
  Adam: [
    [{ learningRate: -1 }, "learningRate", -1],
    [{ beta1: 1 }, "beta1", 1],
    [{ beta2: 1.5 }, "beta2", 1.5],
    [{ epsilon: -1 }, "epsilon", -1],
    [{ weightDecay: Number.NaN }, "weightDecay", Number.NaN],
    [{ clipNorm: -1 }, "clipNorm", -1],
  ],
  RMSProp: [
    [{ learningRate: -1 }, "learningRate", -1],
    [{ decay: 1 }, "decay", 1],
    [{ epsilon: 0 }, "epsilon", 0],
  ],
  SGDMomentum: [
    [{ learningRate: Number.NaN }, "learningRate", Number.NaN],
    [{ momentum: 1 }, "momentum", 1],
  ],
};

function withOptions(subject: Subject, patch: Record<string, unknown>): OptimizerDescription {
  return { algorithm: subject.optimizer.algorithm, options: { ...subject.optimizer.options, ...patch } };
}

/** Registers the bad-input tier for every built-in algorithm and dtype of `adapter`. */
export function badInputTier(adapter: AdapterDescription): void {
  describe(`${adapter.name}: bad input tier`, () => {
    for (const subject of SUBJECTS) {
      for (const dtype of adapter.dtypes) {
        describe(`${subject.name} ${dtype}`, () => {
          for (const warmSteps of [0, 3]) {
            const when = warmSteps === 0 ? "on the first step" : `after ${warmSteps} steps`;
            for (const [what, damage, check] of gradientCases) {
              test(`refuses ${what} ${when}, changing nothing`, () =>
                refusedWithoutChange(
                  adapter,
                  subject.optimizer,
                  dtype,
                  warmSteps,
                  (o, g) => o.step(damage(g)),
                  check,
                ));
            }
            if (subject.squares) {
              const big = OVERFLOWING[dtype];
              test(`refuses a finite gradient whose square overflows (${big} in conv[5]) ${when}, changing nothing`, () =>
                refusedWithoutChange(
                  adapter,
                  subject.optimizer,
                  dtype,
                  warmSteps,
                  (o, g) => o.step(withValue(g, "conv", 5, big)),
                  expectNonFiniteResult("conv", "v", 5),
                ));
            }
            if (adapter.stepRaw) {
              const stepRaw = adapter.stepRaw;
              test(`refuses mixed dtypes (W in the other dtype) ${when}, changing nothing`, () =>
                refusedWithoutChange(
                  adapter,
                  subject.optimizer,
                  dtype,
                  warmSteps,
                  (o, g) => {
                    const raw: Record<string, Float32Array | Float64Array> = Object.fromEntries(
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
          for (const [what, forge, check, applies] of checkpointCases) {
            if (applies && !applies(subject, dtype)) continue;
            test(`refuses to load ${what}, changing nothing`, () =>
              refusedWithoutChange(
                adapter,
                subject.optimizer,
                dtype,
                3,
                async (o) => o.load(forge(await o.save(), subject, dtype)),
                check(subject),
              ));
          }
          test("refuses a schedule that leaves its range at step 3 (a negative rate), naming it, changing nothing", async () => {
            const rate = subject.name === "A2S" ? "lrAdam" : "learningRate";
            // 0.01 falling by 0.005 per step: 0.005 at t = 1, 0 at t = 2, negative at t = 3.
            const schedule = linearSchedule({ initValue: 0.01, endValue: -0.03, transitionSteps: 8 });
            const problem = new NoisyQuadratic(BAD_INPUT_SEED);
            const optimizer = await create(
              adapter,
              withOptions(subject, { [rate]: schedule }),
              dtype,
              problem,
            );
            try {
              await runSteps(optimizer, problem, 0, 2);
              const before = await optimizer.save();
              const params = copyArrays(await optimizer.read());
              let caught: CaughtError | undefined;
              try {
                await optimizer.step(problem.gradient(params, 3));
              } catch (error) {
                caught = error as CaughtError;
              }
              expect(caught?.name).toBe("InvalidOptionError");
              expect(caught?.option).toBe(rate);
              expect(caught?.value as number).toBeLessThan(0);
              expect(caught?.message).toContain("step 3");
              expect(bytesEqual(await optimizer.save(), before), "state unchanged").toBe(true);
              expect(
                describeDifference(copyArrays(await optimizer.read()), params),
                "parameters unchanged",
              ).toBeUndefined();
            } finally {
              await optimizer.dispose?.();
            }
          });
        });
      }
      for (const [patch, option, value] of INVALID_OPTIONS[subject.name] ?? []) {
        test(`${subject.name} refuses ${JSON.stringify(patch)} at creation, naming ${option}`, async () => {
          const problem = new NoisyQuadratic(BAD_INPUT_SEED);
          let caught: CaughtError | undefined;
          try {
            const optimizer = await create(
              adapter,
              withOptions(subject, patch),
              adapter.dtypes[0] as FloatDType,
              problem,
            );
            await optimizer.dispose?.();
          } catch (error) {
            caught = error as CaughtError;
          }
          expect(caught, "an error").toBeDefined();
          expectInvalidOption(option, value)(caught as CaughtError);
        });
      }
      test(`${subject.name}: a group that takes no tensor is refused at the first step, naming it, changing nothing`, async () => {
        const problem = new NoisyQuadratic(BAD_INPUT_SEED);
        const optimizer = await create(
          adapter,
          withOptions(subject, { groups: [{ tensors: ["W"] }, { tensors: /^nothing/ }] }),
          adapter.dtypes[0] as FloatDType,
          problem,
        );
        try {
          const before = await optimizer.save();
          const params = copyArrays(await optimizer.read());
          let caught: CaughtError | undefined;
          try {
            await optimizer.step(problem.gradient(params, 1));
          } catch (error) {
            caught = error as CaughtError;
          }
          expect(caught?.name).toBe("InvalidOptionError");
          expect(caught?.option).toBe("groups[1].tensors");
          expect(bytesEqual(await optimizer.save(), before), "state unchanged").toBe(true);
          expect(
            describeDifference(copyArrays(await optimizer.read()), params),
            "parameters unchanged",
          ).toBeUndefined();
        } finally {
          await optimizer.dispose?.();
        }
      });
    }
  });
}
