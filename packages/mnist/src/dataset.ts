/** MNIST in memory, and the ways the experiments cut it: subsets, shuffles, batches. */

/** Pixels per image (28 x 28). */
export const IMAGE_SIZE = 784;

/** A set of images with their labels. */
export interface MnistSplit {
  /** `count * 784` floats in [0, 1], one image after another, each row-major. */
  images: Float32Array;
  /** `count` digits 0..9. */
  labels: Uint8Array;
  count: number;
}

/** The first `count` images of `split` starting at `start`: views, no copy. */
export function subset(split: MnistSplit, start: number, count: number): MnistSplit {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0) {
    throw new RangeError(`subset(${start}, ${count}): start and count must be integers >= 0`);
  }
  if (start + count > split.count) {
    throw new RangeError(`subset(${start}, ${count}) runs past the ${split.count} images`);
  }
  return {
    images: split.images.subarray(start * IMAGE_SIZE, (start + count) * IMAGE_SIZE),
    labels: split.labels.subarray(start, start + count),
    count,
  };
}

/** A new split holding the images at `indices`, in that order (a copy). */
export function gather(split: MnistSplit, indices: ArrayLike<number>): MnistSplit {
  const count = indices.length;
  const images = new Float32Array(count * IMAGE_SIZE);
  const labels = new Uint8Array(count);
  copyRows(split, indices, 0, count, images, labels);
  return { images, labels, count };
}

/** One batch: `size` images and labels. */
export interface Batch {
  x: Float32Array;
  y: Uint8Array;
  size: number;
}

/**
 * Batches of `batchSize` in order (`order` indexes `split`; default 0..count-1); the last
 * batch is short when the count does not divide. Without `order` the batches are views
 * into `split`. With `order` the images are copied into two buffers that every batch
 * reuses: a batch is valid until the next one is drawn (copy it to keep it).
 */
export function* batches(split: MnistSplit, batchSize: number, order?: ArrayLike<number>): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be an integer >= 1; got ${batchSize}`);
  }
  const total = order ? order.length : split.count;
  if (!order) {
    for (let start = 0; start < total; start += batchSize) {
      const { images, labels, count } = subset(split, start, Math.min(batchSize, total - start));
      yield { x: images, y: labels, size: count };
    }
    return;
  }
  const x = new Float32Array(batchSize * IMAGE_SIZE);
  const y = new Uint8Array(batchSize);
  for (let start = 0; start < total; start += batchSize) {
    const size = Math.min(batchSize, total - start);
    copyRows(split, order, start, size, x, y);
    yield size === batchSize
      ? { x, y, size }
      : { x: x.subarray(0, size * IMAGE_SIZE), y: y.subarray(0, size), size };
  }
}

function copyRows(
  split: MnistSplit,
  indices: ArrayLike<number>,
  from: number,
  count: number,
  images: Float32Array,
  labels: Uint8Array,
): void {
  for (let i = 0; i < count; i++) {
    const source = indices[from + i] as number;
    if (!(source >= 0 && source < split.count && Number.isInteger(source))) {
      throw new RangeError(`index ${source} is not an image of this ${split.count}-image split`);
    }
    images.set(split.images.subarray(source * IMAGE_SIZE, (source + 1) * IMAGE_SIZE), i * IMAGE_SIZE);
    labels[i] = split.labels[source] as number;
  }
}
