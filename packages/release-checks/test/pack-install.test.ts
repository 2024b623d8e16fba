/**
 * Pack every public package, install the tarballs with npm into a project outside the
 * workspace (no workspace links), and run one small script per package that imports it
 * by name and takes a few optimizer steps. This is what a user gets from the registry.
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { publicPackages, repoRoot } from "../src/workspace.js";

/** Framework packages a user of each adapter installs beside it (the adapters' peers). */
const FRAMEWORKS = ["@tensorflow/tfjs-core@4.22.0", "onnxruntime-node@1.30.0", "brain.js@1.6.1", "vitest@4"];

const project = mkdtempSync(join(tmpdir(), "a2s-pack-install-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));
const smokeDir = join(import.meta.dirname, "..", "smoke");

describe("pack and install outside the workspace", () => {
  const packages = publicPackages();
  const tarballs = new Map<string, string>();

  test("every public package packs", () => {
    const out = join(project, "tarballs");
    mkdirSync(out);
    for (const p of packages) {
      const before = new Set(readdirSync(out));
      execFileSync("pnpm", ["pack", "--pack-destination", out], {
        cwd: join(repoRoot, p.dir),
        stdio: "pipe",
      });
      const file = readdirSync(out).find((f) => !before.has(f));
      expect(file, `pnpm pack wrote nothing for ${p.name}`).toBeDefined();
      tarballs.set(p.name, join(out, file as string));
    }
    console.log(
      ["package | packed size", "--- | ---"]
        .concat(
          packages.map(
            (p) => `${p.name} | ${(statSync(tarballs.get(p.name) as string).size / 1024).toFixed(1)} KiB`,
          ),
        )
        .join("\n"),
    );
  });

  test("npm installs the tarballs with the frameworks from the registry", () => {
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "a2s-user", private: true, type: "module" }),
    );
    execFileSync(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        // The onnxruntime-node postinstall only fetches CUDA parts; users on CPU skip it too.
        "--ignore-scripts",
        ...tarballs.values(),
        ...FRAMEWORKS,
      ],
      { cwd: project, stdio: "pipe" },
    );
    for (const p of packages) {
      const installed = join(project, "node_modules", ...p.name.split("/"));
      // A real folder unpacked from the tarball, not a link back into the workspace.
      expect(lstatSync(installed).isSymbolicLink()).toBe(false);
      expect(lstatSync(installed).isDirectory()).toBe(true);
    }
  }, 600_000);

  const smokes = readdirSync(smokeDir).filter((f) => f.endsWith(".mjs"));
  test("there is a smoke script for every public package", () => {
    const covered = new Set(smokes.map((f) => `@a2s/${f.replace(/\.mjs$/, "")}`));
    expect(packages.map((p) => p.name).filter((n) => !covered.has(n))).toEqual([]);
  });

  test.each(smokes)("%s runs against the installed package", (file) => {
    copyFileSync(join(smokeDir, file), join(project, file));
    const output = execFileSync("node", [file], { cwd: project, encoding: "utf8", stdio: "pipe" });
    console.log(output.trim());
    expect(output).toMatch(/^ok /m);
  }, 300_000);
});
