import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeIdx,
  fetchMnist,
  loadMnist,
  MNIST_FILES,
  MnistFileError,
  parseIdx,
  splitFromIdx,
} from "../src/index.js";

const images = (n: number) =>
  encodeIdx(
    [n, 28, 28],
    Uint8Array.from({ length: n * 784 }, (_, i) => i % 251),
  );
const labels = (values: number[]) => encodeIdx([values.length], Uint8Array.from(values));

describe("the browser entry", () => {
  it("imports nothing from node: in its whole module graph", async () => {
    const src = join(dirname(fileURLToPath(import.meta.url)), "..", "src");
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = async (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = await readFile(join(src, file), "utf8");
      for (const [, specifier] of text.matchAll(/from "([^"]+)"/g)) {
        if (specifier?.startsWith("node:")) nodeImports.push(`${file}: ${specifier}`);
        else if (specifier?.startsWith("./")) await visit(specifier.slice(2).replace(/\.js$/, ".ts"));
      }
    };
    await visit("browser.ts");
    expect(seen.size).toBeGreaterThan(5);
    expect(nodeImports).toEqual([]);
    // The check itself sees Node imports where they are:
    seen.clear();
    await visit("index.ts");
    expect(nodeImports).toContain("files.ts: node:fs/promises");
  });
});

describe("splitFromIdx", () => {
  it("reads an ArrayBuffer, a Uint8Array or a view into a larger buffer alike", () => {
    const imageBytes = images(2);
    const labelBytes = labels([4, 2]);
    const fromViews = splitFromIdx({ name: "i", bytes: imageBytes }, { name: "l", bytes: labelBytes });
    const fromBuffers = splitFromIdx(
      { name: "i", bytes: imageBytes.slice().buffer },
      { name: "l", bytes: labelBytes.slice().buffer },
    );
    const padded = new Uint8Array(3 + imageBytes.length);
    padded.set(imageBytes, 3);
    const fromOffsetView = splitFromIdx(
      { name: "i", bytes: new DataView(padded.buffer, 3) },
      { name: "l", bytes: labelBytes },
    );
    expect(fromBuffers).toEqual(fromViews);
    expect(fromOffsetView).toEqual(fromViews);
    expect(fromViews.count).toBe(2);
    expect(Array.from(fromViews.labels)).toEqual([4, 2]);
    expect(fromViews.images[785]).toBe(Math.fround((785 % 251) / 255));
  });

  it("refuses images of 56 x 14 and 1 x 784, naming the image file", () => {
    for (const dims of [
      [2, 56, 14],
      [2, 1, 784],
    ]) {
      const bytes = encodeIdx(dims, new Uint8Array(2 * 784));
      const error = (() => {
        try {
          splitFromIdx({ name: "the-images", bytes }, { name: "the-labels", bytes: labels([1, 2]) });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(MnistFileError);
      expect(error).toMatchObject({ file: "the-images", problem: "dimensions" });
    }
  });

  it("refuses an image file that holds no images", () => {
    expect(() =>
      splitFromIdx({ name: "empty", bytes: images(0) }, { name: "none", bytes: labels([]) }),
    ).toThrow(expect.objectContaining({ name: "MnistFileError", file: "empty", problem: "dimensions" }));
  });

  it("says that gzip bytes need inflating", () => {
    const error = (() => {
      try {
        parseIdx(gzipSync(labels([1])), "x.gz", 1);
      } catch (e) {
        return e as MnistFileError;
      }
    })();
    expect(error).toBeInstanceOf(MnistFileError);
    expect([error?.problem, error?.message]).toEqual(["magic", expect.stringContaining("gzip")]);
  });
});

describe("encodeIdx", () => {
  it("is undone by parseIdx", () => {
    const data = Uint8Array.from({ length: 24 }, (_, i) => i * 10);
    const parsed = parseIdx(encodeIdx([2, 3, 4], data), "x", 3);
    expect(parsed.dims).toEqual([2, 3, 4]);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
  });

  it("refuses a length that does not fit the dimensions, and dimensions out of range", () => {
    expect(() => encodeIdx([2, 3], new Uint8Array(5))).toThrow(RangeError);
    expect(() => encodeIdx([], new Uint8Array(1))).toThrow(RangeError);
    expect(() => encodeIdx([-1], new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeIdx([1.5], new Uint8Array(1))).toThrow(RangeError);
  });
});

describe("fetchMnist over HTTP", () => {
  let dir: string;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "a2s-mnist-http-"));
    server = createServer(async (request, response) => {
      try {
        const body = await readFile(
          join(dir, decodeURIComponent(new URL(request.url ?? "/", origin).pathname)),
        );
        response.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
      } catch {
        response.writeHead(404, "Not Found").end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes the four files of a small set into `folder`, gzipping those named in `gz`. */
  async function writeSet(folder: string, gz: string[] = [], replace: Record<string, Uint8Array> = {}) {
    await rm(join(dir, folder), { recursive: true, force: true });
    await mkdir(join(dir, folder), { recursive: true });
    const files: Record<string, Uint8Array> = {
      [MNIST_FILES.trainImages]: images(3),
      [MNIST_FILES.trainLabels]: labels([1, 2, 3]),
      [MNIST_FILES.testImages]: images(2),
      [MNIST_FILES.testLabels]: labels([9, 0]),
      ...replace,
    };
    for (const [name, bytes] of Object.entries(files)) {
      await writeFile(join(dir, folder, name), gz.includes(name) ? gzipSync(bytes) : bytes);
    }
  }

  async function failure(promise: Promise<unknown>): Promise<MnistFileError> {
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MnistFileError);
    return error as MnistFileError;
  }

  it("loads the same arrays as loadMnist, from plain and from gzipped files under their plain names", async () => {
    await writeSet("plain");
    await writeSet("gz", [MNIST_FILES.trainImages, MNIST_FILES.testLabels]);
    const fromDisk = await loadMnist({ dir: join(dir, "plain") });
    expect(await fetchMnist({ baseUrl: `${origin}/plain/` })).toEqual(fromDisk);
    // Without the trailing slash the folder is still the folder.
    expect(await fetchMnist({ baseUrl: new URL(`${origin}/gz`) })).toEqual(fromDisk);
  });

  it("takes other file names and another fetch", async () => {
    await writeSet("renamed");
    const requested: string[] = [];
    const set = await fetchMnist({
      baseUrl: `${origin}/renamed/`,
      files: { testLabels: `../renamed/${MNIST_FILES.testLabels}` },
      fetch: (input, init) => {
        requested.push(String(input));
        return fetch(input, init);
      },
    });
    expect(set.test.count).toBe(2);
    expect(requested.sort()).toEqual(
      Object.values(MNIST_FILES)
        .map((name) => `${origin}/renamed/${name}`)
        .sort(),
    );
  });

  it("names the URL of a file the server does not have", async () => {
    await writeSet("gone");
    await rm(join(dir, "gone", MNIST_FILES.trainLabels));
    const error = await failure(fetchMnist({ baseUrl: `${origin}/gone/` }));
    expect([error.problem, error.file]).toEqual(["missing", `${origin}/gone/${MNIST_FILES.trainLabels}`]);
    expect(error.message).toContain("HTTP 404");
  });

  it("names the URL when nothing answers", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(fetchMnist({ baseUrl: `http://127.0.0.1:${port}/` }));
    expect(error.problem).toBe("missing");
    expect(error.file).toMatch(new RegExp(`^http://127.0.0.1:${port}/`));
  });

  it("refuses a relative URL where there is no page to resolve it", async () => {
    const error = await failure(fetchMnist({ baseUrl: "mnist/" }));
    expect([error.problem, error.file]).toEqual(["missing", "mnist/"]);
  });

  it("names a gzip stream that does not inflate", async () => {
    await writeSet("badgz", [], { [MNIST_FILES.testImages]: Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]) });
    const error = await failure(fetchMnist({ baseUrl: `${origin}/badgz/` }));
    expect([error.problem, error.file]).toEqual(["gzip", `${origin}/badgz/${MNIST_FILES.testImages}`]);
  });

  it("checks fetched files as it checks files on disk, naming the URL", async () => {
    await writeSet("wide", [], {
      [MNIST_FILES.trainImages]: encodeIdx([3, 56, 14], new Uint8Array(3 * 784)),
    });
    const error = await failure(fetchMnist({ baseUrl: `${origin}/wide/` }));
    expect([error.problem, error.file]).toEqual(["dimensions", `${origin}/wide/${MNIST_FILES.trainImages}`]);
  });
});
