// Adds up vitest's per-package "Tests" lines from a turbo log and prints one closing line
// ("N passed, N failed") for the whole repository.
import { readFileSync } from "node:fs";
import { stripVTControlCharacters } from "node:util";

const log = stripVTControlCharacters(readFileSync(process.argv[2], "utf8"));
let passed = 0;
let failed = 0;
let packages = 0;
for (const line of log.split("\n")) {
  const m = /^\S+:test:\s+Tests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!m) continue;
  packages++;
  passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
  failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
}
console.log(`vitest in ${packages} packages`);
console.log(`tests: ${passed} passed, ${failed} failed`);
