// Re-exported so that data users shuffle with the same generator as everyone else.
export { gaussian, mulberry32, permutation, type Random } from "@a2s/random";
export { type Batch, batches, gather, IMAGE_SIZE, type MnistSplit, subset } from "./dataset.js";
export { MnistFileError, type MnistFileProblem } from "./errors.js";
export { type LoadMnistOptions, loadMnist, MNIST_FILES, type Mnist, mnistDataDir } from "./files.js";
export { type IdxArray, parseIdx } from "./idx.js";
