/**
 * The hardware limit rows: c/fused-step.c, compiled here with the machine's C compiler and
 * timed on the adapters' sizes, once for the whole machine and once held to what
 * WebAssembly SIMD can express. Where no compiler works the rows say why; they never fail
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

/**
 * WebAssembly SIMD (1.0) has only 128-bit vectors and no fused multiply-add, where
 * `-march=native` may use wider lanes (AVX2's 256 bits) and FMA. The same loop held to
 * 128-bit lanes without FMA is the limit for the WebAssembly kernels: how far they are
 * from what their instruction set allows, apart from what it does not. The rest of
 * `-march=native` stays, so that only the width and FMA differ from the native loop.
 */
export const LIMIT_128_FLAGS = [
  "-O3",
  "-march=native",
  "-mprefer-vector-width=128",
  "-mno-fma",
  "-fno-math-errno",
] as const;

/** One build of the C file: the start of its rows' label and its flags. */
export interface LimitBuild {
  name: string;
  flags: readonly string[];
}

export const NATIVE_LIMIT: LimitBuild = { name: "C limit", flags: LIMIT_FLAGS };
export const LIMIT_128: LimitBuild = {
  name: "C limit, 128-bit lanes without FMA (WebAssembly SIMD's instruction set)",
  flags: LIMIT_128_FLAGS,
};
/** The builds timed side by side, in the order of `startLimit`'s results. */
export const LIMIT_BUILDS = [NATIVE_LIMIT, LIMIT_128] as const;

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
export async function compileLimit(
  compiler: Compiler,
  flags: readonly string[] = LIMIT_FLAGS,
): Promise<CompiledLimit> {
  const dir = await mkdtemp(join(tmpdir(), "a2s-limit-"));
  const binary = join(dir, "fused-step");
  const { gcc } = compiler;
  const args = [...flags, ...(gcc ? ["-fopt-info-vec-optimized"] : []), "-o", binary, LIMIT_SOURCE, "-lm"];
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

export function limitLabel(compiler: Compiler, build: LimitBuild = NATIVE_LIMIT): string {
  return `${build.name} (${compiler.command} ${build.flags.join(" ")})`;
}

/**
 * Compiles the C file once per build and times the builds side by side at every step
 * size; `finish` times them once more and gives their results, in the order of `builds`.
 * Called before and after the adapters' rows, so that the limits' samples span the same
 * stretch of the machine's load as theirs. A build that fails to compile or run is
 * skipped with the reason; the others go on.
 */
export async function startLimit(
  plan: RunPlan,
  log: (line: string) => void,
  compilers: readonly string[] = compilerCandidates(),
  builds: readonly LimitBuild[] = LIMIT_BUILDS,
): Promise<{ finish(): Promise<LimitResult[]> }> {
  const found = await findCompiler(compilers);
  if ("reason" in found) {
    for (const build of builds) log(`  ${build.name} skipped: ${found.reason}`);
    return { finish: async () => builds.map(() => ({ available: false, reason: found.reason })) };
  }
  const { compiler } = found;
  const limits: { build: LimitBuild; compiled?: CompiledLimit; failure?: string; runs: LimitSamples[] }[] =
    [];
  for (const build of builds) {
    try {
      limits.push({ build, compiled: await compileLimit(compiler, build.flags), runs: [] });
    } catch (error) {
      log(`  ${build.name} skipped: ${firstLine(error)}`);
      limits.push({ build, failure: firstLine(error), runs: [] });
    }
  }
  const timeAll = async () => {
    for (const size of plan.stepSizes) {
      const { rounds, steps } = plan.limitTiming(size);
      for (const limit of limits) {
        if (limit.compiled === undefined || limit.failure !== undefined) continue;
        try {
          const samples = await timeLimit(limit.compiled.binary, size, rounds, steps);
          limit.runs.push(samples);
          log(
            `  ${limit.build.name} @ ${size}: A2S ${median(samples.a2sMs).toPrecision(3)} ms, Adam ${median(samples.adamMs).toPrecision(3)} ms`,
          );
        } catch (error) {
          limit.failure = firstLine(error);
        }
      }
    }
  };
  await timeAll();
  return {
    async finish() {
      await timeAll();
      await Promise.all(limits.map((l) => l.compiled?.dispose()));
      return limits.map(
        ({ build, compiled, failure, runs }): LimitResult =>
          compiled === undefined || failure !== undefined
            ? { available: false, reason: failure ?? "not compiled" }
            : {
                available: true,
                label: limitLabel(compiler, build),
                compiler: compiler.version,
                vectorised: compiled.vectorised,
                rows: limitRows(runs),
              },
      );
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
