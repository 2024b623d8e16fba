/**
 * Which MNIST images the page serves: the first ones of each original file, cut at build
 * time (plugins/mnist-subset.ts), so that a page loads a fraction of the original files.
 */

/** The first 12,800 training images: 200 batches of 64, one epoch of a 200-step run. */
export const TRAIN_IMAGES = 12_800;
/** The first 2,000 test images. */
export const TEST_IMAGES = 2_000;
/** Folder, relative to the page, that holds the four cut IDX files under their original names. */
export const DATA_FOLDER = "mnist/";
