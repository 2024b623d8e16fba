/**
 * The `--out` folder, made and checked before any training so that a run never ends
 * unable to save what it took minutes to compute.
 */
import { lstat, mkdir, open, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

/** The files a run writes into the output folder. */
export const OUTPUT_FILES = Object.freeze({ results: "results.json", chart: "chart.svg" });

/** An `--out` that cannot be made into a folder the run can write its files in. */
export class OutputFolderError extends Error {
  override name = "OutputFolderError";
  readonly dir: string;
  constructor(dir: string, problem: string) {
    super(`--out ${dir}: ${problem}`);
    this.dir = dir;
  }
}

const reason = (error: unknown) => (error as Error).message;

/**
 * Creates `dir` and any missing parents, then checks that it is a folder in which files
 * can be created and that the run's own files, where they exist, are files. Throws
 * {@link OutputFolderError}.
 */
export async function prepareOutputFolder(dir: string): Promise<void> {
  await createFolder(dir);
  await probeWrite(dir);
  for (const name of Object.values(OUTPUT_FILES)) {
    const path = join(dir, name);
    const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw new OutputFolderError(dir, `cannot read ${path} (${reason(error)})`);
    });
    if (info && !info.isFile()) throw new OutputFolderError(dir, `${path} is not a file`);
  }
}

/**
 * `mkdir -p` one level at a time. Node's `mkdir(..., { recursive: true })` never returns
 * where a parent exists but refuses children with ENOENT (procfs): it creates the parent
 * (EEXIST) and retries the child for ever. Here any failure of a single mkdir is final.
 */
async function createFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let path = dir; ; path = dirname(path)) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      // ENOTDIR: a parent is a file, which the walk up names.
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
      throw new OutputFolderError(dir, `cannot create it (${reason(error)})`);
    });
    if (info?.isDirectory()) break;
    if (info) {
      throw new OutputFolderError(
        dir,
        path === dir ? "not a folder" : `cannot create it (${path} is not a folder)`,
      );
    }
    missing.push(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path);
    } catch (error) {
      // EEXIST: made meanwhile by someone else, or a dangling link, which the final check catches.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new OutputFolderError(dir, `cannot create it (${reason(error)})`);
      }
    }
  }
  const made = await stat(dir).catch(() => undefined);
  if (!made?.isDirectory()) throw new OutputFolderError(dir, "cannot create it (not a folder once made)");
}

/**
 * Creates and removes a file: the permission bits do not tell (root ignores them, and a
 * read-only or virtual file system refuses whatever they say).
 */
async function probeWrite(dir: string): Promise<void> {
  const probe = join(dir, `.a2s-mnist-write-check-${process.pid}`);
  try {
    await (await open(probe, "wx")).close();
  } catch (error) {
    throw new OutputFolderError(dir, `cannot write in it (${reason(error)})`);
  }
  await rm(probe, { force: true });
}
