// The fs-free entry: everything but the Node file loader. Bundlers pick it for
// `@a2s/mnist` through the `browser` export condition; `@a2s/mnist/browser` names it anywhere.
// Re-exported so that data users shuffle with the same generator as everyone else.
export { gaussian, mulberry32, permutation, type Random } from "@a2s/random";
export { type Batch, batches, gather, IMAGE_SIZE, type MnistSplit, subset } from "./dataset.js";
export { MnistFileError, type MnistFileProblem } from "./errors.js";
export { type FetchMnistOptions, fetchMnist } from "./fetch.js";
export { encodeIdx, type IdxArray, type IdxBytes, parseIdx } from "./idx.js";
export { MNIST_FILES, type MnistFileKey } from "./names.js";
export { type IdxFile, type Mnist, splitFromIdx } from "./split.js";
