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

/**
 * Whether `next` stays inside the range a dependent declared while `current` was out:
 * `workspace:^` publishes as `^current` (for 0.x the caret pins the minor), `>=x` admits
 * every later version.
 */
function withinRange(range: string, current: string, next: string): boolean {
  if (range.startsWith(">=")) return true;
  if (!/^(workspace:)?\^/.test(range)) throw new Error(`this check does not model the range ${range}`);
  const [a, b, c] = current.split(".").map(Number) as [number, number, number];
  const [x, y, z] = next.split(".").map(Number) as [number, number, number];
  if (a > 0) return x === a;
  if (b > 0) return x === 0 && y === b;
  return x === 0 && y === 0 && z === c;
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
  // A minor bump of a package that another one names as a peer: changesets' default would
  // make the peer dependent major; the config keeps that to dependents left out of range.
  writeFileSync(
    join(scratch, ".changeset", "conformance-minor.md"),
    '---\n"@a2s/conformance": minor\n---\n\nScratch feature.\n',
  );
  execFileSync(join(repoRoot, "node_modules", ".bin", "changeset"), ["version"], {
    cwd: scratch,
    stdio: "pipe",
  });
  const byVersion = (name: string): string => packages.find((p) => p.name === name)?.version as string;
  const after = (dir: string): string =>
    JSON.parse(readFileSync(join(scratch, dir, "package.json"), "utf8")).version as string;

  // What the run should do: the named bumps, then a patch for every public package whose
  // declared range (`workspace:^`, published as `^x.y.z`) no longer admits a bumped
  // dependency, repeated until nothing changes.
  const expected = new Map<string, string>([
    ["@a2s/core", bump(byVersion("@a2s/core"), "minor")],
    ["@a2s/mnist", bump(byVersion("@a2s/mnist"), "patch")],
    ["@a2s/conformance", bump(byVersion("@a2s/conformance"), "minor")],
  ]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of packages) {
      if (p.private || expected.has(p.name)) continue;
      const leaves = p.runtimeDeps.some((d) => {
        const next = expected.get(d);
        return next !== undefined && !withinRange(p.ranges[d] as string, byVersion(d), next);
      });
      if (leaves) {
        expected.set(p.name, bump(p.version, "patch"));
        changed = true;
      }
    }
  }

  test.each(packages.map((p) => [p.name, p] as const))("%s moves only as configured", (_name, p) => {
    expect(after(p.dir)).toBe(expected.get(p.name) ?? p.version);
  });

  test("the scratch run changed something, so the checks above are not vacuous", () => {
    expect(after("packages/core")).not.toBe(byVersion("@a2s/core"));
    // At least one dependent moved because of core, so the cascade rule is exercised.
    expect(
      [...expected.keys()].filter((n) => !["@a2s/core", "@a2s/mnist", "@a2s/conformance"].includes(n)).length,
    ).toBeGreaterThan(0);
  });
});
