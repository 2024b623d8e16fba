import { describe, expect, it } from "vitest";
import {
  closureTriad,
  FUSED_A2S_BYTES_PER_PARAM,
  gigabytesPerSecond,
  triad,
  triadArrays,
} from "../src/triad.js";

describe("triad", () => {
  it("computes a[i] = b[i] + s * c[i]", () => {
    const a = new Float32Array(3);
    triad(a, Float32Array.of(1, 2, 3), Float32Array.of(10, 20, 30), 0.5);
    expect([...a]).toEqual([6, 12, 18]);
  });
  it("the closure triad computes the same, over its own arrays", () => {
    const { run, a } = closureTriad(4);
    run();
    expect([...a]).toEqual([7, 7, 7, 7]);
  });
  it("makes arrays of the requested length with the values the kernel expects", () => {
    const { a, b, c } = triadArrays(5);
    triad(a, b, c, 3);
    expect([...a]).toEqual([7, 7, 7, 7, 7]);
  });
});

describe("gigabytesPerSecond", () => {
  it("is bytes over time, in 1e9 bytes per second", () => {
    // 48 bytes for each of 1e7 parameters in 100 ms is 4.8 GB/s.
    expect(gigabytesPerSecond(FUSED_A2S_BYTES_PER_PARAM * 1e7, 100)).toBeCloseTo(4.8, 12);
  });
});
