import { describe, expect, it } from "vitest";
import { gaussian, mulberry32, permutation } from "../src/random.js";

describe("mulberry32", () => {
  it("repeats for a seed and differs between seeds", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
  });

  it("draws in [0, 1) with mean 1/2", () => {
    const random = mulberry32(7);
    let sum = 0;
    let outside = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = random();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
    }
    expect(outside).toBe(0);
    // The mean of n uniforms has standard deviation sqrt(1/12/n) ~ 0.0009: 0.005 is over 5 sigma.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
  });
});

describe("permutation", () => {
  it("is a permutation, the same for the same seed", () => {
    const order = permutation(60000, mulberry32(1));
    expect(Array.from(permutation(60000, mulberry32(1)))).toEqual(Array.from(order));
    expect(Array.from(order).sort((x, y) => x - y)).toEqual(Array.from({ length: 60000 }, (_, i) => i));
    // A shuffle of 60,000 that leaves the first ten in place would be broken.
    expect(Array.from(order.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(permutation(60000, mulberry32(2)).subarray(0, 10))).not.toEqual(
      Array.from(order.subarray(0, 10)),
    );
  });
});

describe("gaussian", () => {
  it("draws mean 0 and variance 1, repeatably", () => {
    const normal = gaussian(mulberry32(3));
    const n = 100_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const z = normal();
      sum += z;
      squares += z * z;
    }
    // Standard errors: mean 1/sqrt(n) ~ 0.0032, variance sqrt(2/n) ~ 0.0045; 0.02 is over 4 sigma.
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(squares / n - 1)).toBeLessThan(0.02);
    const again = gaussian(mulberry32(3));
    const fresh = gaussian(mulberry32(3));
    expect(Array.from({ length: 4 }, again)).toEqual(Array.from({ length: 4 }, fresh));
  });
});
