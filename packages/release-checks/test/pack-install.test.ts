/**
 * Pack every public package, install the tarballs with npm into a project outside the
 * workspace (no workspace links), and run each package's README example there, importing
 * the packages by name, as a user who copied it would. The conformance suite is run the
 * way a third-party adapter author would: a vitest file calling it on @a2s/typed.
 */
import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { readmeExample } from "../src/readme-example.js";
import { publicPackages, repoRoot } from "../src/workspace.js";

/** What a user installs beside the adapters: the frameworks (the adapters' peers) and vitest. */
const FRAMEWORKS = [
  "@tensorflow/tfjs@4.22.0",
  "@tensorflow/tfjs-core@4.22.0",
  "onnxruntime-node@1.30.0",
  "brain.js@1.6.1",
  "vitest@4",
];

const project = mkdtempSync(join(tmpdir(), "a2s-pack-install-"));
// Removing an installed project (tens of thousands of files) outlasts vitest's 10 s hook
// limit on a busy machine; a cleanup is no test, so it gets room.
afterAll(() => rmSync(project, { recursive: true, force: true }), 120_000);

const CONFORMANCE_TEST = `
import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";
conformanceSuite(typedAdapter("fused"));
`;

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
  }, 120_000);

  test("npm installs the tarballs with the frameworks from the registry", () => {
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "a2s-user", private: true, type: "module" }),
    );
    execFileSync(
      "npm",
      // onnxruntime-node's install script only fetches CUDA parts; CPU users skip it.
      ["install", "--no-audit", "--no-fund", "--ignore-scripts", ...tarballs.values(), ...FRAMEWORKS],
      { cwd: project, stdio: "pipe" },
    );
    for (const p of packages) {
      const installed = join(project, "node_modules", ...p.name.split("/"));
      // A real folder unpacked from the tarball, not a link back into the workspace.
      expect(lstatSync(installed).isSymbolicLink()).toBe(false);
      expect(lstatSync(installed).isDirectory()).toBe(true);
    }
  }, 600_000);

  const examples = packages.filter((p) => p.name !== "@a2s/conformance");
  test.each(examples.map((p) => [p.name, p] as const))(
    "the README example of %s runs",
    (name, p) => {
      const code = readmeExample(p.dir);
      expect(code, `${name}'s README has no ts/js example`).toBeDefined();
      const file = `example-${name.replace("@a2s/", "")}.mjs`;
      writeFileSync(join(project, file), code as string);
      const output = execFileSync("node", [file], { cwd: project, encoding: "utf8", stdio: "pipe" });
      console.log(`${name}: ${output.trim().split("\n").slice(-3).join(" | ")}`);
    },
    300_000,
  );

  test("@a2s/conformance runs as a third party's vitest file", () => {
    writeFileSync(join(project, "conformance.test.mjs"), CONFORMANCE_TEST);
    const output = execFileSync("npx", ["vitest", "run", "conformance.test.mjs"], {
      cwd: project,
      encoding: "utf8",
      stdio: "pipe",
      env: { ...process.env, CI: "true" },
    });
    const passed = /Tests\s+(\d+) passed/.exec(stripVTControlCharacters(output));
    expect(Number(passed?.[1])).toBeGreaterThan(100);
    console.log(`@a2s/conformance: ${passed?.[0]}`);
  }, 300_000);
});
