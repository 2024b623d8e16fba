import { describe, expect, test } from "vitest";
import { type Checkpoint, CheckpointError, crc32, decodeCheckpoint, encodeCheckpoint } from "../src/index.js";

const sample = (): Checkpoint => ({
  algorithm: "A2S",
  options: { lrAdam: 0.001, clipNorm: "Infinity" },
  t: 7,
  scalars: { switchedAt: 3 },
  tensors: [
    { name: "W", shape: [2, 3], slots: { m: Float32Array.of(1, 2, 3, 4, 5, 6), v: new Float32Array(6) } },
    { name: "b", shape: [1], slots: { m: Float64Array.of(0.1), v: Float64Array.of(1e-300) } },
  ],
});

/** A checkpoint's header, rewritten with the checksum fixed, for damage encodeCheckpoint would refuse to write. */
function withHeader(bytes: Uint8Array, change: (header: Record<string, unknown>) => void): Uint8Array {
  const pad8 = (n: number) => (n + 7) & ~7;
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length)));
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

describe("checkpoint bytes", () => {
  test("round-trip keeps every value, dtype, shape, option and scalar, and writes format 2", () => {
    const bytes = encodeCheckpoint(sample());
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(2);
    const back = decodeCheckpoint(bytes);
    expect({ ...back, version: undefined }).toEqual({ ...sample(), version: undefined });
    expect(back.version).toBe(2);
    expect(back.tensors[1]?.slots.m).toBeInstanceOf(Float64Array);
  });

  const refusals: [string, (b: Uint8Array) => Uint8Array, string][] = [
    ["another magic", (b) => Object.assign(b.slice(), { 0: 0x58 }), "magic"],
    [
      "an unknown version",
      (b) => {
        const c = b.slice();
        new DataView(c.buffer).setUint32(8, 3, true);
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
    [
      "a negative size in a shape",
      (b) =>
        withHeader(
          b,
          (h) => (((h.tensors as { shape: number[] }[])[1] as { shape: number[] }).shape = [-1] as never),
        ),
      "header",
    ],
    ["a non-finite scalar", (b) => withHeader(b, (h) => (h.scalars = { switchedAt: "x" })), "header"],
    [
      "repeated slot names",
      (b) =>
        withHeader(
          b,
          (h) =>
            (((h.tensors as { slots: string[] }[])[0] as { slots: string[] }).slots = ["m", "m"] as never),
        ),
      "header",
    ],
  ];
  test.each(refusals)("refuses %s", (_what, damage, problem) => {
    const bytes = damage(encodeCheckpoint(sample()));
    expect(() => decodeCheckpoint(bytes)).toThrow(
      expect.objectContaining({ name: "CheckpointError", problem }),
    );
  });

  test("refuses non-finite stored values, naming the slot and element", () => {
    const c = sample();
    (c.tensors[0]?.slots.m as Float32Array)[2] = Number.NaN;
    expect(() => decodeCheckpoint(encodeCheckpoint(c))).toThrow(/W\.m\[2\]/);
  });

  test("refuses to write a header it could not read back", () => {
    expect(() => encodeCheckpoint({ ...sample(), t: -1 })).toThrow(CheckpointError);
  });

  test("reads format 1, which has no scalars", () => {
    const v2 = encodeCheckpoint({ ...sample(), scalars: {} });
    const v1 = withHeader(v2, (h) => {
      delete h.scalars;
    });
    new DataView(v1.buffer).setUint32(8, 1, true);
    new DataView(v1.buffer).setUint32(v1.length - 4, crc32(v1.subarray(0, v1.length - 4)), true);
    const back = decodeCheckpoint(v1);
    expect(back.version).toBe(1);
    expect(back.scalars).toEqual({});
    expect(back.tensors.map((t) => t.name)).toEqual(["W", "b"]);
  });
});
