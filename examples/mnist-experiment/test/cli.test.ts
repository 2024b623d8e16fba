import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadMnist, MNIST_FILES, mulberry32 } from "@a2s/mnist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableAdapters, loadAdapter, UnknownAdapterError } from "../src/adapter.js";
import { DEFAULT_OUT, MAX_SEED, parseCliArgs, USAGE, UsageError } from "../src/args.js";
import { main } from "../src/main.js";
import type { ExperimentResults } from "../src/results.js";
import { capture, writeIdx } from "./helpers.js";

describe("flags", () => {
  it("defaults to the seed's experiment", () => {
    const config = parseCliArgs([], "/somewhere");
    expect(config).toMatchObject({
      epochs: 20,
      adapter: "onnxruntime",
      seed: 1,
      batchSize: 64,
      out: DEFAULT_OUT,
    });
    expect(config !== "help" && config.optimizers.map((o) => o.label)).toEqual([
      "A2S",
      "Adam",
      "RMSProp",
      "SGDMomentum",
    ]);
    expect(DEFAULT_OUT.endsWith(join("results", "mnist"))).toBe(true);
  });

  it("reads every flag, optimizers in any case, paths from the caller's folder", () => {
    const config = parseCliArgs(
      ["--epochs", "3", "--optimizers", "sgdmomentum,a2s", "--seed", "7", "--out", "r", "--data", "/d"],
      "/home/me",
    );
    expect(config).toMatchObject({ epochs: 3, seed: 7, out: "/home/me/r", data: "/d" });
    expect(config !== "help" && config.optimizers.map((o) => o.label)).toEqual(["SGDMomentum", "A2S"]);
    expect(parseCliArgs(["--help"], "/")).toBe("help");
    expect(parseCliArgs(["--", "--help"], "/")).toBe("help");
  });

  it("reads the feature flags, and a2s-auto and sgd among the optimizers", () => {
    const config = parseCliArgs(
      [
        "--optimizers",
        "a2s,a2s-auto,adam,sgd",
        "--schedule",
        "cosine",
        "--weight-decay",
        "1e-4",
        "--clip-norm",
        "5",
      ],
      "/",
    );
    expect(config).toMatchObject({ schedule: "cosine", weightDecay: 1e-4, clipNorm: 5 });
    expect(config !== "help" && config.optimizers.map((o) => o.label)).toEqual([
      "A2S",
      "A2S-auto",
      "Adam",
      "SGDMomentum",
    ]);
    expect(parseCliArgs([], "/")).toMatchObject({
      schedule: "constant",
      weightDecay: 0,
      clipNorm: Number.POSITIVE_INFINITY,
    });
  });

  it.each([
    [["--bogus"], /bogus/],
    [["--epochs"], /epochs/],
    [["--epochs", "0"], /--epochs must be an integer >= 1; got "0"/],
    [["--epochs", "2.5"], /--epochs/],
    [["--seed", "-1"], /--seed/],
    [["--seed", "4294967296"], /--seed must be an integer from 0 to 4294967295; got "4294967296"/],
    [["--optimizers", "adam,lion"], /unknown optimizer "lion"/],
    [["--schedule", "linear"], /--schedule must be one of constant, cosine, warmup-cosine; got "linear"/],
    [["--weight-decay=-1"], /--weight-decay must be a number >= 0; got "-1"/],
    [["--clip-norm", "0"], /--clip-norm must be a number > 0; got "0"/],
    [["--clip-norm", "x"], /--clip-norm/],
    [["stray"], /stray/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseCliArgs(argv, "/")).toThrow(UsageError);
    expect(() => parseCliArgs(argv, "/")).toThrow(message);
  });

  it("takes seeds from 0 to 2^32 - 1, the ones mulberry32 tells apart, and says so in the usage", () => {
    expect(MAX_SEED).toBe(4294967295);
    for (const seed of [0, MAX_SEED]) {
      expect(parseCliArgs(["--seed", String(seed)], "/")).toMatchObject({ seed });
    }
    // Why the range ends there: one past it starts the same sequence as 0.
    const draws = (seed: number) => Array.from({ length: 4 }, mulberry32(seed));
    expect(draws(MAX_SEED + 1)).toEqual(draws(0));
    expect(draws(MAX_SEED)).not.toEqual(draws(0));
    expect(USAGE).toMatch(/--seed <n>.*from 0 to\s+4294967295/s);
  });

  it("exits 2 with the usage on stderr for a bad flag or an unknown adapter", async () => {
    const bad = capture("/");
    expect(await main(["--epochs", "x"], bad.io)).toBe(2);
    expect(bad.err()).toContain("error: --epochs must be an integer");
    expect(bad.err()).toContain("Usage: pnpm mnist");
    expect(bad.out()).toBe("");

    const unknown = capture("/");
    expect(await main(["--adapter", "../adapter"], unknown.io)).toBe(2);
    expect(unknown.err()).toContain('unknown adapter "../adapter"; available: ');
    expect(unknown.err()).toContain("typed");
  });

  it("prints the usage on stdout for --help and exits 0", async () => {
    const help = capture("/");
    expect(await main(["--help"], help.io)).toBe(0);
    expect(help.out()).toContain("--optimizers <list>");
  });
});

describe("adapters", () => {
  it("are found by name and loaded by dynamic import", async () => {
    expect([...(await availableAdapters())].sort()).toEqual(["onnxruntime", "tfjs", "tfjs-cpu", "typed"]);
    for (const name of await availableAdapters()) {
      expect((await loadAdapter(name)).name).toBe(name);
    }
    await expect(loadAdapter("nope")).rejects.toThrow(UnknownAdapterError);
    // First imports of tfjs, its wasm backend and onnxruntime-node: past vitest's 5 s default on
    // a busy machine, and a timed-out import leaves the modules half loaded for the next test.
    // The limit only stops a hang (speed is the bench's job).
  }, 60_000);
});

describe("a whole run on a small folder of MNIST", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "a2s-experiment-"));
    const { train, test } = await loadMnist();
    // 130 training images (three batches, the last one short) and 70 test images, gzipped IDX.
    const bytes = (values: Float32Array) => Uint8Array.from(values, (v) => Math.round(v * 255));
    const gz = (name: string) => join(dir, `${name}.gz`);
    await writeIdx(gz(MNIST_FILES.trainImages), [130, 28, 28], bytes(train.images.subarray(0, 130 * 784)));
    await writeIdx(gz(MNIST_FILES.trainLabels), [130], train.labels.subarray(0, 130));
    await writeIdx(gz(MNIST_FILES.testImages), [70, 28, 28], bytes(test.images.subarray(0, 70 * 784)));
    await writeIdx(gz(MNIST_FILES.testLabels), [70], test.labels.subarray(0, 70));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lays the feature flags over every optimizer and records A2S-auto's decision", async () => {
    const run = capture(dir);
    const argv = ["--epochs", "1", "--data", ".", "--out", "features", "--optimizers", "a2s-auto,adam"];
    const code = await main(
      [...argv, "--schedule", "cosine", "--weight-decay", "0.01", "--clip-norm", "2"],
      run.io,
    );
    expect(code).toBe(0);
    const results = JSON.parse(
      await readFile(join(dir, "features", "results.json"), "utf8"),
    ) as ExperimentResults;
    expect(results.features).toEqual({ schedule: "cosine", weightDecay: 0.01, clipNorm: 2 });
    const [auto, adam] = results.optimizers;
    expect(adam?.options).toMatchObject({
      weightDecay: 0.01,
      clipNorm: 2,
      learningRate: { type: "cosineDecay", decaySteps: 3 },
    });
    expect(auto?.options).toMatchObject({
      switchIter: "auto",
      lrSgd: "auto",
      lrAdam: { type: "cosineDecay" },
    });
    // Three steps cannot reach switchMinSteps: the record says it did not fire.
    expect(auto?.switch).toEqual({ switchedAt: null, sgdEstimate: null, lrSgd: null });
    expect(run.out()).toContain("A2S-auto: the automatic switch did not fire");
  }, 60_000);

  it("trains, prints the table, writes the JSON and the SVG", async () => {
    const run = capture(dir);
    const code = await main(
      ["--epochs", "2", "--data", ".", "--out", "out", "--optimizers", "a2s,adam"],
      run.io,
    );
    expect(code).toBe(0);
    expect(run.out()).toMatch(/A2S epoch 2\/2: train loss \d\.\d{4}, test accuracy/);
    expect(run.out()).toMatch(/optimizer\s+test accuracy\s+training loss\s+s \/ epoch/);
    const results = JSON.parse(await readFile(join(dir, "out", "results.json"), "utf8")) as ExperimentResults;
    expect(results.optimizers.map((o) => o.label)).toEqual(["A2S", "Adam"]);
    const [a2s, adam] = results.optimizers;
    expect(a2s?.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    // Three steps per epoch: 64 + 64 + 2 images.
    expect(a2s?.steps?.w).toEqual([1, 1, 1, 1, 1, 1]);
    expect(a2s?.steps?.lrScale[0]).toBe(1);
    expect(a2s?.steps?.lrScale[1]).toBeLessThan(1);
    expect(adam?.steps).toBeUndefined();
    for (const e of [...(a2s?.epochs ?? []), ...(adam?.epochs ?? [])]) {
      expect(e.trainLoss).toBeGreaterThan(0);
      expect(e.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.seconds).toBeGreaterThan(0);
    }
    // Same weights and batches: A2S with w = 1 is Adam at lrScale <= 1, so their first losses agree.
    expect(a2s?.epochs[0]?.trainLoss).toBeCloseTo(adam?.epochs[0]?.trainLoss ?? Number.NaN, 1);
    const svg = await readFile(join(dir, "out", "chart.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Test accuracy after each epoch");
    expect(svg).toContain("Blend weight w");
    // Past vitest's 5 s default on a busy machine; the limit only stops a hang.
  }, 60_000);
});
