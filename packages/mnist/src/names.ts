/** The names of the four MNIST files, as LeCun published them. */

/** The original file names; a folder may hold each as is or with `.gz` appended. */
export const MNIST_FILES = Object.freeze({
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
});

/** Which of the four files: `trainImages`, `trainLabels`, `testImages`, `testLabels`. */
export type MnistFileKey = keyof typeof MNIST_FILES;
