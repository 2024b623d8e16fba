import { describe, expect, test } from "vitest";
import { type Checkpoint, CheckpointError, decodeCheckpoint, encodeCheckpoint } from "../src/index.js";

const sample = (): Checkpoint => ({
  algorithm: "A2S",
  options: { lrAdam: 0.001 },
  t: 7,
  tensors: {
    W: { shape: [2, 3], slots: { m: Float32Array.of(1, 2, 3, 4, 5, 6), v: new Float32Array(6) } },
    b: { shape: [1], slots: { m: Float64Array.of(0.1), v: Float64Array.of(1e-300) } },
  },
});
const expectA2S = { algorithm: "A2S", slots: ["m", "v"] };

describe("checkpoint bytes", () => {
  test("round-trip keeps every value, dtype and shape", () => {
    const back = decodeCheckpoint(encodeCheckpoint(sample()), expectA2S);
    expect(back).toEqual(sample());
    expect(back.tensors.b?.slots.m).toBeInstanceOf(Float64Array);
  });

  const refusals: [string, (b: Uint8Array) => Uint8Array, string][] = [
    ["another magic", (b) => Object.assign(b.slice(), { 0: 0x58 }), "magic"],
    [
      "another version",
      (b) => {
        const c = b.slice();
        new DataView(c.buffer).setUint32(8, 2, true);
        return c;
      },
      "version",
    ],
    [
      "a flipped data bit",
      (b) => {
        const c = b.slice();
        c[c.length - 10] = (c[c.length - 10] as number) ^ 1;
        return c;
      },
      "checksum",
    ],
    ["truncated bytes", (b) => b.slice(0, b.length - 9), "checksum"],
    ["too short", (b) => b.slice(0, 10), "truncated"],
  ];
  test.each(refusals)("refuses %s", (_what, damage, problem) => {
    const bytes = damage(encodeCheckpoint(sample()));
    expect(() => decodeCheckpoint(bytes, expectA2S)).toThrow(CheckpointError);
    try {
      decodeCheckpoint(bytes, expectA2S);
    } catch (error) {
      expect((error as CheckpointError).problem).toBe(problem);
    }
  });

  test("refuses another algorithm", () => {
    const bytes = encodeCheckpoint({ ...sample(), algorithm: "Adam" });
    expect(() => decodeCheckpoint(bytes, expectA2S)).toThrow(/Adam/);
  });

  test("refuses non-finite stored values", () => {
    const c = sample();
    (c.tensors.W?.slots.m as Float32Array)[2] = Number.NaN;
    expect(() => decodeCheckpoint(encodeCheckpoint(c), expectA2S)).toThrow(/W\.m\[2\]/);
  });
});
