import { describe, expect, it } from "vitest";
import { batches, gather, type MnistSplit, subset } from "../src/dataset.js";

/** A split of `n` images whose pixels all equal the image index and whose label is index % 10. */
function fake(n: number): MnistSplit {
  const images = new Float32Array(n * 784);
  for (let i = 0; i < n; i++) images.fill(i, i * 784, (i + 1) * 784);
  return { images, labels: Uint8Array.from({ length: n }, (_, i) => i % 10), count: n };
}

describe("subset and gather", () => {
  it("subset is a view of the chosen range", () => {
    const split = fake(10);
    const part = subset(split, 2, 3);
    expect(part.count).toBe(3);
    expect(part.images.buffer).toBe(split.images.buffer);
    expect([part.images[0], part.images[3 * 784 - 1]]).toEqual([2, 4]);
    expect(Array.from(part.labels)).toEqual([2, 3, 4]);
    expect(() => subset(split, 8, 3)).toThrow(RangeError);
  });

  it("gather copies the images at the given indices in order", () => {
    const split = fake(10);
    const picked = gather(split, [7, 1, 7]);
    expect(Array.from(picked.labels)).toEqual([7, 1, 7]);
    expect([picked.images[0], picked.images[784], picked.images[2 * 784 + 5]]).toEqual([7, 1, 7]);
    picked.images[0] = -1;
    expect(split.images[7 * 784]).toBe(7);
    expect(() => gather(split, [10])).toThrow(/index 10/);
  });
});

describe("batches", () => {
  it("cuts in order with the last batch short, as views", () => {
    const split = fake(10);
    const all = [...batches(split, 4)];
    expect(all.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(all.map((b) => b.x.length)).toEqual([4 * 784, 4 * 784, 2 * 784]);
    expect(Array.from(all[2]?.y ?? [])).toEqual([8, 9]);
    expect(all[1]?.x.buffer).toBe(split.images.buffer);
  });

  it("follows an order, reusing one buffer", () => {
    const split = fake(10);
    const order = [9, 3, 5, 0, 1];
    const seen: number[][] = [];
    let firstBuffer: ArrayBufferLike | undefined;
    for (const batch of batches(split, 2, order)) {
      firstBuffer ??= batch.x.buffer;
      expect(batch.x.buffer).toBe(firstBuffer);
      seen.push(Array.from({ length: batch.size }, (_, i) => batch.x[i * 784] as number));
      expect(Array.from(batch.y)).toEqual(seen.at(-1));
    }
    expect(seen).toEqual([[9, 3], [5, 0], [1]]);
  });

  it("refuses a batch size that is not a positive integer", () => {
    expect(() => [...batches(fake(2), 0)]).toThrow(/batch size/);
    expect(() => [...batches(fake(2), 1.5)]).toThrow(/batch size/);
  });
});
