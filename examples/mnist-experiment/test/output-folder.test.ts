import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutputFolderError, prepareOutputFolder } from "../src/output-folder.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "a2s-output-folder-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("prepareOutputFolder", () => {
  it("creates the folder and its missing parents, leaving nothing in it", async () => {
    const out = join(root, "a", "b", "c");
    await prepareOutputFolder(out);
    expect(await readdir(out)).toEqual([]);
  });

  it("accepts a folder holding an earlier run's files and leaves them as they were", async () => {
    const out = join(root, "earlier");
    await mkdir(out);
    await writeFile(join(out, "results.json"), "{}\n");
    await prepareOutputFolder(out);
    expect(await readdir(out)).toEqual(["results.json"]);
    expect(await readFile(join(out, "results.json"), "utf8")).toBe("{}\n");
  });

  it("throws OutputFolderError naming the folder", async () => {
    const file = join(root, "plain-file");
    await writeFile(file, "");
    const refusal = prepareOutputFolder(file);
    await expect(refusal).rejects.toThrow(OutputFolderError);
    await expect(refusal).rejects.toMatchObject({ dir: file, message: `--out ${file}: not a folder` });
  });
});
