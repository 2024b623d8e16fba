/** The runnable example of a package's README: its first ```ts or ```js block, as plain ESM. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { repoRoot } from "./workspace.js";

export function readmeExample(packageDir: string): string | undefined {
  const readme = readFileSync(join(repoRoot, packageDir, "README.md"), "utf8");
  const block = /^```(?:ts|js)\n([\s\S]*?)^```$/m.exec(readme)?.[1];
  if (block === undefined) return undefined;
  // Type annotations only: strip them, keep the module as the user would run it.
  return ts.transpileModule(block, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: false,
    },
  }).outputText;
}
