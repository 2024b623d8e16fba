/**
 * Input the CLI cannot use (an output folder it cannot write, MNIST files that are missing,
 * inconsistent or empty) is refused before any training: one line on stderr, exit code 2,
 * nothing printed on stdout and no output folder left behind.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MNIST_FILES } from "@a2s/mnist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/main.js";
import { capture, type MnistCounts, writeMnistFolder } from "./helpers.js";

/** Three batches of training images (the last one short) and a few test images, all consistent. */
const VALID: MnistCounts = { trainImages: 130, trainLabels: 130, testImages: 70, testLabels: 70 };

let root: string;
let data: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "a2s-refusals-"));
  data = join(root, "data");
  await mkdir(data);
  await writeMnistFolder(data, VALID);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs the CLI on one quick optimizer; a refusal must come before the first epoch anyway. */
async function refused(flags: string[]): Promise<string> {
  const run = capture(root);
  const code = await main(["--epochs", "1", "--optimizers", "adam", "--adapter", "typed", ...flags], run.io);
  expect(run.out()).toBe("");
  expect(code).toBe(2);
  // One line naming the problem, no stack trace.
  expect(run.err()).toMatch(/^error: [^\n]+\n$/);
  return run.err();
}

const onLinux = process.platform === "linux";

describe("an --out the CLI cannot write is refused before training", () => {
  it("an existing file", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "keep me\n");
    expect(await refused(["--data", data, "--out", file])).toContain(`--out ${file}: not a folder`);
  });

  it("a folder below an existing file", async () => {
    const file = join(root, "another-file");
    await writeFile(file, "keep me\n");
    const out = join(file, "results");
    expect(await refused(["--data", data, "--out", out])).toContain(
      `--out ${out}: cannot create it (${file} is not a folder)`,
    );
  });

  it("a folder below a dangling symbolic link", async () => {
    const link = join(root, "dangling");
    await symlink(join(root, "nowhere"), link);
    const out = join(link, "results");
    expect(await refused(["--data", data, "--out", out])).toContain(`--out ${out}: cannot create`);
    expect(existsSync(join(root, "nowhere"))).toBe(false);
  });

  // procfs answers ENOENT to mkdir, which makes Node's own recursive mkdir retry for ever.
  it.runIf(onLinux)("a folder under /proc, where a recursive mkdir never returns", async () => {
    const out = `/proc/a2s-forbidden-${process.pid}`;
    expect(await refused(["--data", data, "--out", out])).toContain(`--out ${out}: cannot create`);
  });

  it.runIf(onLinux)("an existing folder in which no file can be created (/proc)", async () => {
    expect(await refused(["--data", data, "--out", "/proc"])).toContain("--out /proc: cannot write in it");
  });

  it("a folder whose results.json is a folder", async () => {
    const out = join(root, "taken");
    await mkdir(join(out, "results.json"), { recursive: true });
    expect(await refused(["--data", data, "--out", out])).toContain(
      `--out ${out}: ${join(out, "results.json")} is not a file`,
    );
  });
});

describe("MNIST files the CLI cannot train on are refused before training", () => {
  async function folder(name: string, counts: MnistCounts): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir);
    await writeMnistFolder(dir, counts);
    return dir;
  }

  it("a --data folder that does not exist, leaving --out uncreated", async () => {
    const missing = join(root, "no-such-folder");
    const out = join(root, "unused-out");
    expect(await refused(["--data", missing, "--out", out])).toContain(`--data ${missing}: no such folder`);
    expect(existsSync(out)).toBe(false);
  });

  it("a --data folder without the test files", async () => {
    const dir = await folder("train-only", VALID);
    await rm(join(dir, MNIST_FILES.testImages));
    expect(await refused(["--data", dir, "--out", join(root, "unused")])).toContain(
      `MNIST file ${join(dir, MNIST_FILES.testImages)}: missing`,
    );
  });

  it("fewer training labels than training images", async () => {
    const dir = await folder("short-labels", { ...VALID, trainLabels: 129 });
    expect(await refused(["--data", dir, "--out", join(root, "unused")])).toContain(
      `MNIST file ${join(dir, MNIST_FILES.trainLabels)}: mismatch: 129 labels for 130 images`,
    );
  });

  it.each([
    ["training", MNIST_FILES.trainImages, { ...VALID, trainImages: 0, trainLabels: 0 }],
    ["test", MNIST_FILES.testImages, { ...VALID, testImages: 0, testLabels: 0 }],
  ])("a %s set of zero images (no NaN loss or accuracy)", async (split, file, counts) => {
    const dir = await folder(`empty-${split}`, counts);
    // @a2s/mnist may refuse a zero-image file itself; either way the file is named and 0 images said.
    const message = await refused(["--data", dir, "--out", join(root, "unused")]);
    expect(message).toContain(join(dir, file));
    expect(message).toMatch(/\b(0|zero|no) images\b/);
  });
});
