/**
 * The hardware limit row: c/fused-step.c, compiled here with the machine's C compiler and
 * timed on the adapters' sizes. Where no compiler works the row says why; it never fails
 * the run.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./measure.js";
import type { RunPlan } from "./plan.js";
import type { LimitResult, LimitRow } from "./results.js";
import { countParams, shapesFor } from "./shapes.js";
import { firstLine } from "./steps.js";

export const LIMIT_SOURCE = fileURLToPath(new URL("../c/fused-step.c", import.meta.url));

/**
 * -fno-math-errno is no fast-math: results are bit for bit those of -O3 alone. It drops
 * the errno write that C's sqrtf owes a negative argument, which otherwise keeps gcc from
 * using the vector square root.
 */
export const LIMIT_FLAGS = ["-O3", "-march=native", "-fno-math-errno"] as const;

/** The kernels of the C file; the report says which of them the compiler vectorised. */
export const LIMIT_KERNELS = ["diff_squares", "a2s_update", "adam_update"] as const;

export interface Compiler {
  command: string;
  /** First line of `--version`. */
  version: string;
  /** gcc (also as `cc`), whose `-fopt-info-vec-optimized` lists the loops it vectorised. */
  gcc: boolean;
}

/** The compilers to try, in order: $CC when set, then cc and gcc. */
export function compilerCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...new Set([env["CC"], "cc", "gcc"].filter((c): c is string => !!c))];
}

/** The first of `candidates` that answers `--version`, or the reasons none did. */
export async function findCompiler(
  candidates: readonly string[] = compilerCandidates(),
): Promise<{ compiler: Compiler } | { reason: string }> {
  const failures: string[] = [];
  for (const command of candidates) {
    const result = await run(command, ["--version"]);
    if (result.ok) {
      const text = result.stdout.toString();
      const version = text.split("\n")[0]?.trim() ?? command;
      // gcc's --version names the Free Software Foundation even where it runs as `cc`.
      return { compiler: { command, version, gcc: /Free Software Foundation|\bgcc\b/.test(text) } };
    }
    failures.push(`${command}: ${result.message}`);
  }
  return { reason: `no C compiler found (${failures.join("; ")})` };
}

export interface CompiledLimit {
  binary: string;
  /** Kernels with a loop the compiler reported vectorised; null when it cannot report that. */
  vectorised: string[] | null;
  dispose(): Promise<void>;
}

/** Compiles the C file into a temporary folder. gcc also reports the loops it vectorised. */
export async function compileLimit(compiler: Compiler): Promise<CompiledLimit> {
  const dir = await mkdtemp(join(tmpdir(), "a2s-limit-"));
  const binary = join(dir, "fused-step");
  const { gcc } = compiler;
  const args = [
    ...LIMIT_FLAGS,
    ...(gcc ? ["-fopt-info-vec-optimized"] : []),
    "-o",
    binary,
    LIMIT_SOURCE,
    "-lm",
  ];
  const result = await run(compiler.command, args);
  if (!result.ok) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${compiler.command} ${args.join(" ")} failed: ${result.message}`);
  }
  return {
    binary,
    vectorised: gcc ? vectorisedKernels(await readFile(LIMIT_SOURCE, "utf8"), result.stderr) : null,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Which of {@link LIMIT_KERNELS} hold a loop that gcc's `-fopt-info-vec-optimized` output
 * (`file:line:col: optimized: loop vectorized ...`) names; each line is attributed to the
 * function whose definition comes last before it in the source.
 */
export function vectorisedKernels(source: string, report: string): string[] {
  const starts: { line: number; name: string }[] = [];
  source.split("\n").forEach((text, i) => {
    const match = /^static\s+[\w\s*]+?\b(\w+)\(/.exec(text);
    if (match) starts.push({ line: i + 1, name: match[1] as string });
  });
  const found = new Set<string>();
  for (const match of report.matchAll(/:(\d+):\d+: optimized: loop vectorized/g)) {
    const line = Number(match[1]);
    const owner = starts.filter((s) => s.line <= line).at(-1);
    if (owner) found.add(owner.name);
  }
  return LIMIT_KERNELS.filter((k) => found.has(k));
}

export interface LimitSamples {
  size: number;
  tensors: number;
  a2sMs: number[];
  adamMs: number[];
}

/** Runs `rounds` rounds of `steps` timed A2S and Adam steps on the tensors the adapters get at `size`. */
export async function timeLimit(
  binary: string,
  size: number,
  rounds: number,
  steps: number,
): Promise<LimitSamples> {
  const lengths = Object.values(shapesFor(size)).map((shape) => countParams({ t: shape }));
  const result = await run(binary, ["time", lengths.join(","), String(rounds), String(steps)]);
  if (!result.ok) throw new Error(`fused-step time failed: ${result.message}`);
  const out = JSON.parse(result.stdout.toString()) as {
    params: number;
    tensors: number;
    a2sMs: number[];
    adamMs: number[];
  };
  return { size: out.params, tensors: out.tensors, a2sMs: out.a2sMs, adamMs: out.adamMs };
}

/** Medians over the samples of every run at the same size, in the order of the first run. */
export function limitRows(runs: readonly LimitSamples[]): LimitRow[] {
  const bySize = new Map<number, LimitSamples[]>();
  for (const r of runs) bySize.set(r.size, [...(bySize.get(r.size) ?? []), r]);
  return [...bySize.values()].map((same) => {
    const a2s = same.flatMap((r) => r.a2sMs);
    const adam = same.flatMap((r) => r.adamMs);
    return {
      size: (same[0] as LimitSamples).size,
      tensors: (same[0] as LimitSamples).tensors,
      a2sMs: median(a2s),
      adamMs: median(adam),
      samples: a2s.length,
      a2sRunMs: same.map((r) => median(r.a2sMs)),
    };
  });
}

export function limitLabel(compiler: Compiler): string {
  return `C limit (${compiler.command} ${LIMIT_FLAGS.join(" ")})`;
}

/**
 * Compiles the C file and times it at every step size; `finish` times it once more and
 * gives the result. Called before and after the adapters' rows, so that the limit's
 * samples span the same stretch of the machine's load as theirs.
 */
export async function startLimit(
  plan: RunPlan,
  log: (line: string) => void,
  compilers: readonly string[] = compilerCandidates(),
): Promise<{ finish(): Promise<LimitResult> }> {
  const skipped = (reason: string) => {
    log(`  C limit skipped: ${reason}`);
    return { finish: async (): Promise<LimitResult> => ({ available: false, reason }) };
  };
  const found = await findCompiler(compilers);
  if ("reason" in found) return skipped(found.reason);
  let compiled: CompiledLimit;
  try {
    compiled = await compileLimit(found.compiler);
  } catch (error) {
    return skipped(firstLine(error));
  }
  const runs: LimitSamples[] = [];
  const timeAll = async () => {
    for (const size of plan.stepSizes) {
      const { rounds, steps } = plan.limitTiming(size);
      const samples = await timeLimit(compiled.binary, size, rounds, steps);
      runs.push(samples);
      log(
        `  C limit @ ${size}: A2S ${median(samples.a2sMs).toPrecision(3)} ms, Adam ${median(samples.adamMs).toPrecision(3)} ms`,
      );
    }
  };
  let failure: string | null = null;
  try {
    await timeAll();
  } catch (error) {
    failure = firstLine(error);
  }
  return {
    async finish() {
      try {
        if (failure === null) await timeAll();
      } catch (error) {
        failure = firstLine(error);
      } finally {
        await compiled.dispose();
      }
      if (failure !== null) return { available: false, reason: failure };
      return {
        available: true,
        label: limitLabel(found.compiler),
        compiler: found.compiler.version,
        vectorised: compiled.vectorised,
        rows: limitRows(runs),
      };
    },
  };
}

export type RunResult = { ok: true; stdout: Buffer; stderr: string } | { ok: false; message: string };

/** Runs `file` with `args`, `input` on its stdin; never rejects. */
export function run(file: string, args: readonly string[], input?: Uint8Array): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      { maxBuffer: 256 * 1024 * 1024, encoding: "buffer" },
      (error, stdout, stderr) => {
        if (error) {
          const text = stderr.toString().trim() || error.message;
          resolve({ ok: false, message: text.split("\n").slice(-3).join(" ") });
        } else resolve({ ok: true, stdout, stderr: stderr.toString() });
      },
    );
    if (input) child.stdin?.end(input);
  });
}
