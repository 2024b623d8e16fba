/**
 * `changeset version` on a scratch copy of the workspace's manifests: the named package
 * gets its bump, the public packages that depend on it at run time get a patch (the
 * config's updateInternalDependencies), and nothing else moves: no fixed or linked groups,
 * private packages never versioned.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { repoRoot, workspacePackages } from "../src/workspace.js";

const scratch = mkdtempSync(join(tmpdir(), "a2s-changeset-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function bump(version: string, kind: "major" | "minor" | "patch"): string {
  const [major, minor, patch] = version.split(".").map(Number) as [number, number, number];
  if (kind === "major") return `${major + 1}.0.0`;
  if (kind === "minor") return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

describe("changeset version", () => {
  const packages = workspacePackages();
  for (const file of ["package.json", "pnpm-workspace.yaml", ".changeset/config.json"]) {
    mkdirSync(dirname(join(scratch, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(scratch, file));
  }
  for (const p of packages) {
    mkdirSync(join(scratch, p.dir), { recursive: true });
    cpSync(join(repoRoot, p.dir, "package.json"), join(scratch, p.dir, "package.json"));
  }
  symlinkSync(join(repoRoot, "node_modules"), join(scratch, "node_modules"));
  writeFileSync(
    join(scratch, ".changeset", "core-minor.md"),
    '---\n"@a2s/core": minor\n---\n\nScratch change.\n',
  );
  writeFileSync(
    join(scratch, ".changeset", "mnist-patch.md"),
    '---\n"@a2s/mnist": patch\n---\n\nScratch fix.\n',
  );
  execFileSync(join(repoRoot, "node_modules", ".bin", "changeset"), ["version"], {
    cwd: scratch,
    stdio: "pipe",
  });
  const after = (dir: string): string =>
    JSON.parse(readFileSync(join(scratch, dir, "package.json"), "utf8")).version as string;

  // Which public packages need core or mnist at run time, directly or through another.
  const byName = new Map(packages.map((p) => [p.name, p]));
  const dependsOn = (name: string, target: string, seen = new Set<string>()): boolean => {
    if (seen.has(name)) return false;
    seen.add(name);
    const deps = byName.get(name)?.runtimeDeps ?? [];
    return deps.includes(target) || deps.some((d) => dependsOn(d, target, seen));
  };

  test.each(packages.map((p) => [p.name, p] as const))("%s moves only as configured", (_name, p) => {
    let expected = p.version;
    if (p.private) expected = p.version;
    else if (p.name === "@a2s/core") expected = bump(p.version, "minor");
    else if (p.name === "@a2s/mnist") expected = bump(p.version, "patch");
    else if (dependsOn(p.name, "@a2s/core") || dependsOn(p.name, "@a2s/mnist"))
      expected = bump(p.version, "patch");
    expect(after(p.dir)).toBe(expected);
  });

  test("the scratch run changed something, so the checks above are not vacuous", () => {
    expect(after("packages/core")).not.toBe(byName.get("@a2s/core")?.version);
  });
});
