/** The bytes of an image file and its label file, checked and turned into a split. */
import { IMAGE_SIZE, type MnistSplit } from "./dataset.js";
import { MnistFileError } from "./errors.js";
import { type IdxBytes, parseIdx } from "./idx.js";

/** Rows and columns of an MNIST image. */
const SIDE = 28;

/** Both splits of MNIST. */
export interface Mnist {
  /** The training images (60,000 in the original files). */
  train: MnistSplit;
  /** The test images (10,000 in the original files). */
  test: MnistSplit;
}

/** One IDX file's bytes and the name that errors give it (a path, a URL). */
export interface IdxFile {
  name: string;
  bytes: IdxBytes;
}

/** Byte b scaled to b / 255, looked up rather than divided 47 million times. */
const SCALE = Float32Array.from({ length: 256 }, (_, b) => b / 255);

/**
 * Parses and checks an image file (at least one image of 28 x 28 bytes) and its label
 * file (one digit per image) into a split, pixels scaled to [0, 1]. Both must be plain
 * IDX bytes (inflate `.gz` first). Throws {@link MnistFileError} naming the file at fault.
 */
export function splitFromIdx(images: IdxFile, labels: IdxFile): MnistSplit {
  const imageIdx = parseIdx(images.bytes, images.name, 3);
  const labelIdx = parseIdx(labels.bytes, labels.name, 1);
  const [count, rows, cols] = imageIdx.dims as [number, number, number];
  // Rows and columns separately: 56 x 14 or 1 x 784 also hold 784 pixels, but not a digit.
  if (rows !== SIDE || cols !== SIDE) {
    throw new MnistFileError(images.name, "dimensions", `images are ${rows} x ${cols}, expected 28 x 28`);
  }
  if (count === 0) {
    throw new MnistFileError(images.name, "dimensions", "the header promises no images");
  }
  if (labelIdx.dims[0] !== count) {
    throw new MnistFileError(labels.name, "mismatch", `${labelIdx.dims[0]} labels for ${count} images`);
  }
  const digits = labelIdx.data;
  for (let i = 0; i < digits.length; i++) {
    if ((digits[i] as number) > 9) {
      throw new MnistFileError(labels.name, "mismatch", `label ${digits[i]} at index ${i} is not a digit`);
    }
  }
  const pixels = new Float32Array(count * IMAGE_SIZE);
  const bytes = imageIdx.data;
  for (let i = 0; i < pixels.length; i++) pixels[i] = SCALE[bytes[i] as number] as number;
  // A copy, not a view: a view would keep the whole file's buffer alive (and a Node
  // Buffer's slice() is a view too).
  return { images: pixels, labels: new Uint8Array(digits), count };
}
