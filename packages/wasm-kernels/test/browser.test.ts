/**
 * The built package in a real browser (Debian's chromium, driven by playwright-core): it
 * loads from plain ES modules over HTTP, with no fs and no bundler, finds SIMD, and its
 * steps give the bits they give in Node. Without chromium it fails, saying how to install it:
 * CI installs Debian's package (.ci/run), so a missing browser is a broken set-up, not a pass.
 */
import { access, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as kernels from "../src/index.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const ROOT = new URL("../", import.meta.url);
const TYPES: Record<string, string> = { ".js": "text/javascript", ".html": "text/html" };

/** Three A2S steps on two tensors; its source runs in Node and, as text, in the page. */
async function threeSteps(k: typeof kernels): Promise<number[]> {
  const set = new k.A2SKernels([6, 3]);
  const [a, b] = set.tensors;
  a?.param.set([0.5, -0.2, 0.1, 0.3, -0.4, 0.2]);
  b?.param.set([1, -1, 0.25]);
  for (let t = 1; t <= 3; t++) {
    a?.grad.set([0.1 * t, -0.2, 0.05, 0.3, -0.1, 0.2]);
    b?.grad.set([0.01, -0.02 * t, 0.5]);
    let diff = 0;
    for (let i = 0; i < 2; i++) diff += set.gradientStats(i).diffSquares;
    const scale = 1 / (1 + 0.05 * (t === 1 ? 0 : Math.sqrt(diff)));
    for (let i = 0; i < 2; i++) {
      set.update(i, {
        clip: 1,
        beta1: 0.9,
        beta2: 0.999,
        momentum: 0.9,
        epsilon: 1e-8,
        biasCorrection1: 1 - 0.9 ** t,
        biasCorrection2: 1 - 0.999 ** t,
        w: 0.4,
        lrAdam: 1e-3 * scale,
        lrSgd: 1e-2 * scale,
        weightDecay: 0.01,
      });
    }
  }
  return [...(a?.param ?? []), ...(b?.param ?? [])];
}

let server: Server | undefined;
let base = "";

beforeAll(async () => {
  await access(CHROMIUM).catch(() => {
    throw new Error(
      `no chromium at ${CHROMIUM} (set CHROMIUM_PATH, or apt-get install -y chromium as .ci/run does)`,
    );
  });
  server = createServer(async (request, response) => {
    try {
      const path = new URL(`.${request.url ?? "/"}`, ROOT);
      const body = await readFile(path);
      response.writeHead(200, { "content-type": TYPES[extname(path.pathname)] ?? "text/plain" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

describe("in chromium", () => {
  it("dist loads as ES modules over HTTP, has SIMD, and steps to Node's bits", async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/package.json`);
      // A string, not a function: vitest would rewrite a dynamic import() in this file's code.
      const result = (await page.evaluate(`(async () => {
        const k = await import("${base}/dist/index.js");
        const steps = ${threeSteps.toString()};
        return { supported: k.simdKernelsSupported(), params: await steps(k) };
      })()`)) as { supported: boolean; params: number[] };
      expect(result.supported).toBe(true);
      expect(result.params).toEqual(await threeSteps(kernels));
    } finally {
      await browser.close();
    }
  }, 60_000);
});
