/**
 * MNIST over HTTP, for browsers and workers (no `fs`): the four IDX files fetched from a
 * folder URL, each plain or gzipped (told apart by their first bytes, not their names).
 */
import { MnistFileError } from "./errors.js";
import { GZIP_MAGIC } from "./idx.js";
import { MNIST_FILES, type MnistFileKey } from "./names.js";
import { type Mnist, splitFromIdx } from "./split.js";

export interface FetchMnistOptions {
  /**
   * The folder holding the files. A relative URL resolves against the page's (or the
   * worker's) location; outside a page it must be absolute.
   */
  baseUrl: string | URL;
  /** Each file's name in that folder. Default: {@link MNIST_FILES}. */
  files?: Partial<Record<MnistFileKey, string>>;
  /** The `fetch` to call (one that adds headers, say). Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
}

/**
 * Fetches and checks both splits. Throws {@link MnistFileError} naming the URL when a
 * file cannot be fetched (`missing`, also for an HTTP error status), does not inflate
 * (`gzip`), or fails any check of {@link splitFromIdx}.
 */
export async function fetchMnist(options: FetchMnistOptions): Promise<Mnist> {
  const base = folderUrl(options.baseUrl);
  const names = { ...MNIST_FILES, ...options.files };
  const get = options.fetch ?? globalThis.fetch;
  const load = async (key: MnistFileKey) => {
    const name = new URL(names[key], base).href;
    return { name, bytes: await fetchIdx(name, get) };
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    (["trainImages", "trainLabels", "testImages", "testLabels"] as const).map(load),
  );
  return {
    train: splitFromIdx(trainImages!, trainLabels!),
    test: splitFromIdx(testImages!, testLabels!),
  };
}

/** `baseUrl` as an absolute folder URL (ending in `/`, so that names resolve inside it). */
function folderUrl(baseUrl: string | URL): URL {
  let url: URL;
  try {
    url = new URL(baseUrl, (globalThis as { location?: { href: string } }).location?.href);
  } catch {
    throw new MnistFileError(
      String(baseUrl),
      "missing",
      "not an absolute URL, and there is no page to resolve it",
    );
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** The bytes at `url`, inflated when they are gzip. */
async function fetchIdx(url: string, get: typeof globalThis.fetch): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await get(url);
  } catch (error) {
    throw new MnistFileError(url, "missing", `cannot be fetched (${(error as Error).message})`);
  }
  if (!response.ok) {
    throw new MnistFileError(url, "missing", `HTTP ${response.status} ${response.statusText}`.trim());
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) return bytes;
  try {
    const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(inflated).arrayBuffer());
  } catch (error) {
    throw new MnistFileError(url, "gzip", (error as Error).message);
  }
}
