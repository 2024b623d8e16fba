/** Facts about the workspace's packages, read from their package.json files. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface WorkspacePackage {
  name: string;
  version: string;
  private: boolean;
  /** Folder relative to the repository root. */
  dir: string;
  /** Names of workspace packages it needs at run time (dependencies and peers, not dev). */
  runtimeDeps: string[];
  /** The declared range of each of those, e.g. `workspace:^` or `>=0.1.0`. */
  ranges: Record<string, string>;
}

export function workspacePackages(): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const group of ["packages", "examples"]) {
    for (const entry of readdirSync(join(repoRoot, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = `${group}/${entry.name}`;
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(readFileSync(join(repoRoot, dir, "package.json"), "utf8"));
      } catch {
        continue;
      }
      const deps = {
        ...(json.dependencies as Record<string, string> | undefined),
        ...(json.peerDependencies as Record<string, string> | undefined),
      };
      found.push({
        name: json.name as string,
        version: json.version as string,
        private: json.private === true,
        dir,
        runtimeDeps: Object.keys(deps).filter((d) => d.startsWith("@a2s/")),
        ranges: deps,
      });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

export const publicPackages = (): WorkspacePackage[] => workspacePackages().filter((p) => !p.private);
