/**
 * The playground in Debian's Chromium: the autorun on every stack, the typed run against
 * @a2s/typed in Node, a page without console errors, and a screenshot whose charts are drawn.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunSummary } from "@a2s/playground/src/summary.js";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium.js";
import { countColour, decodePng, distinctColours, type Region } from "./pixels.js";
import { type Served, servePlayground } from "./playground-server.js";
import { typedRunInNode } from "./typed-reference.js";

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), "..", "results");
/**
 * Steps of each A2S autorun, with a schedule that crosses every phase within them (Adam to
 * step 50, the blend to step 100, then SGD): long enough for the loss to fall by far more
 * than the checks ask, short enough for tfjs's cpu backend and SwiftShader's WebGL.
 */
const STEPS = 120;
const A2S_SCHEDULE = { switchIter: 50, blendIters: 50 };
const A2S_QUERY = `optimizer=a2s&switchIter=${A2S_SCHEDULE.switchIter}&blendIters=${A2S_SCHEDULE.blendIters}`;

/** Each stack and the backend it must report having run on. */
const STACKS = [
  ["typed", "typed"],
  ["tfjs-wasm", "wasm"],
  ["tfjs-cpu", "cpu"],
  ["tfjs-webgl", "webgl"],
  ["onnxruntime", "onnxruntime-web wasm"],
] as const;

const OPTIMIZER_COLOURS = { a2s: "#d62728", adam: "#1f77b4", rmsprop: "#9467bd", sgd: "#2ca02c" };

let served: Served;
let browser: Browser;
/** Every console error, uncaught exception and failed request of every page, with its URL. */
const problems: string[] = [];
const runs = new Map<string, RunSummary>();

async function openPage(query: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`${query}: console.error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${query}: uncaught: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`${query}: request failed: ${request.url()}`));
  await page.goto(`${served.url}${query}`);
  return page;
}

/** Waits for the MNIST panel to finish (or fail) and returns what it wrote into #results. */
async function finished(page: Page): Promise<unknown> {
  await page.waitForFunction(
    () => {
      const state = document.getElementById("mnist")?.dataset.state;
      return state === "done" || state === "error";
    },
    null,
    { timeout: 170_000, polling: 250 },
  );
  return JSON.parse((await page.textContent("#results")) ?? "null");
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

beforeAll(async () => {
  served = await servePlayground();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
  if (runs.size > 0) {
    await mkdir(RESULTS, { recursive: true });
    const table = [...runs.values()].map(({ stack, backend, stepsPerSecond, testAccuracy }) => ({
      stack,
      backend,
      stepsPerSecond: Number(stepsPerSecond.toFixed(1)),
      testAccuracy,
    }));
    await writeFile(join(RESULTS, "autorun.json"), `${JSON.stringify(table, null, 2)}\n`);
    console.table(table);
  }
});

describe("the playground's autorun", () => {
  it.each(STACKS)("trains on %s: the loss falls and the backend is %s", async (stack, backend) => {
    const page = await openPage(`?autorun&stack=${stack}&${A2S_QUERY}&steps=${STEPS}`);
    const summary = (await finished(page)) as RunSummary;
    await page.close();
    expect(summary).not.toHaveProperty("error");
    runs.set(stack, summary);
    expect(summary).toMatchObject({ stack, optimizer: "a2s", steps: STEPS, backend });
    expect(summary.losses).toHaveLength(STEPS);
    for (const loss of summary.losses) expect(Number.isFinite(loss)).toBe(true);
    expect(summary.options).toMatchObject(A2S_SCHEDULE);
    // From ln 10 (ten classes guessed evenly) to far below half of it; an optimizer that
    // did not step, or stepped the wrong way, leaves the ratio near 1 or above.
    const [first, last] = [mean(summary.losses.slice(0, 10)), mean(summary.losses.slice(-10))];
    expect(last).toBeLessThan(0.5 * first);
    // Chance is 0.1; the bar is far above it and below what 120 steps of 64 images reach
    // (the playground's README gives the accuracies measured).
    expect(summary.testAccuracy).toBeGreaterThan(0.75);
    // Past switchIter + blendIters, w is exactly 0.
    expect(summary.w).toBe(0);
    expect(summary.lrScale).toBeGreaterThan(0);
    expect(summary.lrScale).toBeLessThanOrEqual(1);
    expect(summary.stepsPerSecond).toBeGreaterThan(0);
  });

  it.each([
    "adam",
    "rmsprop",
    "sgd",
  ])("trains tfjs's own %s on tfjs-wasm, without A2S's diagnostics", async (optimizer) => {
    const steps = 80;
    const page = await openPage(`?autorun&stack=tfjs-wasm&optimizer=${optimizer}&steps=${steps}`);
    const summary = (await finished(page)) as RunSummary;
    await page.close();
    expect(summary).toMatchObject({
      stack: "tfjs-wasm",
      optimizer,
      steps,
      backend: "wasm",
      w: null,
      lrScale: null,
    });
    // Even SGD, the slowest of the three at its default rate, more than halves its loss in 80 steps.
    expect(mean(summary.losses.slice(-10))).toBeLessThan(0.5 * mean(summary.losses.slice(0, 10)));
  });

  it.each([
    "adam",
    "rmsprop",
    "sgd",
  ])("trains @a2s/onnxruntime's %s on onnxruntime-web, without A2S's diagnostics", async (optimizer) => {
    const steps = 80;
    const page = await openPage(`?autorun&stack=onnxruntime&optimizer=${optimizer}&steps=${steps}`);
    const summary = (await finished(page)) as RunSummary;
    await page.close();
    expect(summary).toMatchObject({
      stack: "onnxruntime",
      optimizer,
      steps,
      backend: "onnxruntime-web wasm",
      w: null,
      lrScale: null,
    });
    // As on tfjs-wasm: each of the three more than halves its loss in 80 steps.
    expect(mean(summary.losses.slice(-10))).toBeLessThan(0.5 * mean(summary.losses.slice(0, 10)));
  });

  it("runs on @a2s/typed exactly as @a2s/typed does in Node, bit for bit", async () => {
    const page = runs.get("typed");
    expect(page, "the typed autorun above must have run").toBeDefined();
    const summary = page as RunSummary;
    const node = await typedRunInNode(summary);
    // Everything the model and the optimizer hold: the same bits.
    expect(summary.parametersSha256).toBe(node.parametersSha256);
    expect(summary.testAccuracy).toBe(node.testAccuracy);
    expect([summary.w, summary.lrScale]).toEqual([node.w, node.lrScale]);
    // The losses are float64 sums of Math.exp and Math.log over the float32 logits.
    // Chromium's V8 rounds those two correctly; Node 20's (fdlibm) is 1 ulp off for some
    // inputs, so a batch's loss may differ in its last bits (1e-14 is twenty ulps or more of
    // any loss below 4), never at float32 precision, the precision the model computes in.
    expect(summary.losses.map(Math.fround)).toEqual(node.losses.map(Math.fround));
    const worst = Math.max(...summary.losses.map((loss, i) => Math.abs(loss - (node.losses[i] as number))));
    expect(worst).toBeLessThan(1e-14);
  });

  it("on every tfjs backend and on onnxruntime-web follows the typed run up to float32 rounding", () => {
    const typed = runs.get("typed")?.losses;
    expect(typed).toHaveLength(STEPS);
    for (const [stack] of STACKS.slice(1)) {
      const losses = runs.get(stack)?.losses;
      expect(losses, stack).toHaveLength(STEPS);
      // Same initial weights, batches and optimizer: only the order of float32 operations
      // differs (float32's unit roundoff is 6e-8 per operation). A wrong gradient, slot or
      // schedule shows at 1e-2 or more within a few steps.
      const worst = Math.max(
        ...(losses as number[]).map(
          (loss, i) => Math.abs(loss - (typed?.[i] as number)) / (typed?.[i] as number),
        ),
      );
      expect(worst, stack).toBeLessThan(1e-3);
    }
  });

  it("refuses a stack it does not know, by name, in the page and in #results", async () => {
    const page = await openPage("?autorun&stack=tfjs-webgpu&optimizer=a2s");
    const result = (await finished(page)) as { error: { name: string; message: string } };
    expect(result.error.name).toBe("UrlParamError");
    expect(result.error.message).toContain("tfjs-webgpu");
    expect(await page.textContent("#status")).toContain("URL parameter stack");
    await page.close();
  });
});

describe("the page", () => {
  it("trains four optimizers from a click, draws every chart, and is screenshotted", async () => {
    // The form's schedule (blend from step 100 over 100 steps), whole on screen at 200 steps.
    const page = await openPage("?stack=typed&steps=200");
    await page.click("#train");
    const last = (await finished(page)) as RunSummary;
    expect(last).toMatchObject({ optimizer: "sgd", stack: "typed" });
    // The legend of the paths panel is filled when its paths are computed.
    await page.waitForFunction(() => document.querySelectorAll("#paths-legend li").length === 3);
    const png = await page.screenshot({ fullPage: true });
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, "playground.png"), png);

    const image = decodePng(png);
    // The page fits the viewport's width: nothing pushes it sideways.
    expect(image.width).toBe(1280);
    expect(distinctColours(image)).toBeGreaterThan(100);
    const region = async (selector: string): Promise<Region> =>
      page.$eval(selector, (element) => {
        const box = element.getBoundingClientRect();
        return { x: box.x + window.scrollX, y: box.y + window.scrollY, width: box.width, height: box.height };
      });
    // A line across a chart of a few hundred pixels has hundreds of pixels of its colour,
    // fewer where a later line covers it (the runs agree closely); an empty chart (axes and
    // grid only) has none.
    const drawn = async (selector: string, colours: Record<string, string>) => {
      const box = await region(selector);
      return Object.fromEntries(
        Object.entries(colours).map(([name, hex]) => [name, countColour(image, box, hex)]),
      );
    };
    const atLeast = (counts: Record<string, number>, minimum: number) =>
      Object.fromEntries(
        Object.keys(counts).map((name) => [name, expect.toSatisfy((n: number) => n >= minimum)]),
      );
    const loss = await drawn("#loss-chart canvas", OPTIMIZER_COLOURS);
    expect(loss).toEqual(atLeast(loss, 50));
    const accuracy = await drawn("#accuracy-chart canvas", OPTIMIZER_COLOURS);
    expect(accuracy).toEqual(atLeast(accuracy, 50));
    const a2s = await drawn("#a2s-chart canvas", { w: "#d62728", lrScale: "#ff7f0e" });
    expect(a2s).toEqual(atLeast(a2s, 150));
    const { a2s: red, adam, sgd } = OPTIMIZER_COLOURS;
    const paths = await drawn("#paths-canvas", { a2s: red, adam, sgd });
    expect(paths).toEqual(atLeast(paths, 50));
    await page.close();
  });

  it("loads, trains and draws without console errors, uncaught exceptions or failed requests", async () => {
    const page = await openPage("");
    await page.waitForFunction(() => document.querySelectorAll("#paths-legend li").length === 3);
    expect(await page.$$eval("#mnist .chart canvas", (canvases) => canvases.length)).toBe(3);
    await page.close();
    // Collected over every page of this file, the trainings included.
    expect(problems).toEqual([]);
  });
});
