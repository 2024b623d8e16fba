/**
 * The C limit: compiled and run for real where the machine has a C compiler. Where it has
 * none, the tests that need one are reported as skipped with that reason, never passed.
 */
import { readFile } from "node:fs/promises";
import { mulberry32 } from "@a2s/mnist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CompiledLimit,
  type Compiler,
  compileLimit,
  compilerCandidates,
  findCompiler,
  LIMIT_128,
  LIMIT_128_FLAGS,
  LIMIT_BUILDS,
  LIMIT_FLAGS,
  LIMIT_KERNELS,
  LIMIT_SOURCE,
  type LimitBuild,
  limitLabel,
  limitRows,
  NATIVE_LIMIT,
  run,
  startLimit,
  timeLimit,
  vectorisedKernels,
} from "../src/limit.js";
import { makePlan } from "../src/plan.js";
import { relativeError } from "./relative-error.js";

/** Each build compiled, or why it could not be. */
const compiled = new Map<LimitBuild, CompiledLimit | string>();
let compiler: Compiler | undefined;
let noCompiler = "";

beforeAll(async () => {
  const found = await findCompiler();
  if ("reason" in found) noCompiler = found.reason;
  else {
    compiler = found.compiler;
    for (const build of LIMIT_BUILDS) {
      compiled.set(
        build,
        await compileLimit(found.compiler, build.flags).catch((error: Error) => error.message),
      );
    }
  }
}, 60_000);

afterAll(async () => {
  for (const c of compiled.values()) if (typeof c !== "string") await c.dispose();
});

/**
 * A build of the C file. Without a C compiler the bench reports its limit rows as skipped,
 * but these tests fail: CI installs one (.ci/run), so a missing compiler is a broken set-up.
 */
function build(limit: LimitBuild = NATIVE_LIMIT): CompiledLimit {
  if (compiler === undefined)
    throw new Error(`no C compiler (${noCompiler}): apt-get install -y gcc, as .ci/run does`);
  const c = compiled.get(limit);
  if (c === undefined || typeof c === "string") throw new Error(`${limit.name} did not compile: ${c}`);
  return c;
}

function binary(limit: LimitBuild = NATIVE_LIMIT): string {
  return build(limit).binary;
}

interface Options {
  lrAdam: number;
  lrSgd: number;
  beta1: number;
  beta2: number;
  momentum: number;
  epsilon: number;
  curvatureK: number;
  w: number;
  weightDecay: number;
  clip: number;
}

const OPTIONS: Options = {
  lrAdam: 0.01,
  lrSgd: 0.05,
  beta1: 0.9,
  beta2: 0.999,
  momentum: 0.9,
  epsilon: 1e-8,
  curvatureK: 0.1,
  w: 0.4,
  weightDecay: 0.01,
  clip: 0.5,
};

/** The replay input the C program reads: see the comment above `replay` in c/fused-step.c. */
function replayInput(
  algorithm: 0 | 1,
  lengths: number[],
  o: Options,
  params: Float32Array[],
  grads: Float32Array[][],
) {
  const head = new Uint32Array([algorithm, lengths.length, grads.length, ...lengths]);
  const options = new Float64Array([
    o.lrAdam,
    o.lrSgd,
    o.beta1,
    o.beta2,
    o.momentum,
    o.epsilon,
    o.curvatureK,
    o.w,
    o.weightDecay,
    o.clip,
  ]);
  const parts = [head, options, ...params, ...grads.flat()];
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** The A2S step in float64 from the formulas: the reference the C loop is held to. */
function referenceA2S(lengths: number[], o: Options, params: Float32Array[], grads: Float32Array[][]) {
  const state = lengths.map((n, i) => ({
    p: Float64Array.from(params[i] as Float32Array),
    m: new Float64Array(n),
    v: new Float64Array(n),
    buf: new Float64Array(n),
    prev: new Float64Array(n),
  }));
  const curvatures: number[] = [];
  grads.forEach((step, s) => {
    const t = s + 1;
    let sum = 0;
    state.forEach((x, i) => {
      const g = step[i] as Float32Array;
      for (let k = 0; k < g.length; k++) sum += (o.clip * (g[k] as number) - (x.prev[k] as number)) ** 2;
    });
    const curvature = t === 1 ? 0 : Math.sqrt(sum);
    curvatures.push(curvature);
    const scale = 1 / (1 + o.curvatureK * curvature);
    const [lrA, lrS] = [o.lrAdam * scale, o.lrSgd * scale];
    const [bc1, bc2] = [1 - o.beta1 ** t, 1 - o.beta2 ** t];
    state.forEach((x, i) => {
      const g = step[i] as Float32Array;
      for (let k = 0; k < g.length; k++) {
        const gi = o.clip * (g[k] as number);
        const p = x.p[k] as number;
        const m = o.beta1 * (x.m[k] as number) + (1 - o.beta1) * gi;
        const v = o.beta2 * (x.v[k] as number) + (1 - o.beta2) * gi * gi;
        const buf = o.momentum * (x.buf[k] as number) + gi;
        const adam = m / bc1 / (Math.sqrt(v / bc2) + o.epsilon);
        x.p[k] = p - (o.w * lrA * (adam + o.weightDecay * p) + (1 - o.w) * lrS * (buf + o.weightDecay * p));
        x.m[k] = m;
        x.v[k] = v;
        x.buf[k] = buf;
        x.prev[k] = gi;
      }
    });
  });
  return { state, curvatures };
}

function referenceAdam(lengths: number[], o: Options, params: Float32Array[], grads: Float32Array[][]) {
  const state = lengths.map((n, i) => ({
    p: Float64Array.from(params[i] as Float32Array),
    m: new Float64Array(n),
    v: new Float64Array(n),
  }));
  grads.forEach((step, s) => {
    const t = s + 1;
    state.forEach((x, i) => {
      const g = step[i] as Float32Array;
      for (let k = 0; k < g.length; k++) {
        const gi = g[k] as number;
        const p = x.p[k] as number;
        const m = o.beta1 * (x.m[k] as number) + (1 - o.beta1) * gi;
        const v = o.beta2 * (x.v[k] as number) + (1 - o.beta2) * gi * gi;
        x.p[k] =
          p -
          o.lrAdam *
            (m / (1 - o.beta1 ** t) / (Math.sqrt(v / (1 - o.beta2 ** t)) + o.epsilon) + o.weightDecay * p);
        x.m[k] = m;
        x.v[k] = v;
      }
    });
  });
  return state;
}

/**
 * The C loop computes in float and stores float; the reference in double. Each of the
 * 10 steps rounds every stored value once and its intermediates a few times more (about
 * 8 roundings of 2^-24 per step, and Adam's m/sqrt(v) passes them on), so 80 roundings,
 * 5e-6, bound the drift. 1e-5, the conformance suite's float32 tolerance, is 100 times
 * below what a wrong or missing term does here (weight decay alone moves a parameter by
 * 1e-4 of itself per step).
 */
const TOLERANCE = 1e-5;
const LENGTHS = [1, 7, 8, 37];
const STEPS = 10;

function inputs(seed: number) {
  const random = mulberry32(seed);
  const fill = (n: number, low: number, high: number) =>
    Float32Array.from({ length: n }, () => (random() < 0.5 ? -1 : 1) * (low + (high - low) * random()));
  return {
    params: LENGTHS.map((n) => fill(n, 0.5, 1.5)),
    grads: Array.from({ length: STEPS }, () => LENGTHS.map((n) => fill(n, 0.1, 1))),
  };
}

/** Splits the replay's output after `offset` into per-tensor Float32Arrays, `arrays` per tensor. */
function readArrays(out: Buffer, offset: number, arrays: number): Float32Array[][] {
  const floats = new Float32Array(out.buffer.slice(out.byteOffset + offset, out.byteOffset + out.byteLength));
  const result: Float32Array[][] = [];
  let at = 0;
  for (const n of LENGTHS) {
    const tensor: Float32Array[] = [];
    for (let a = 0; a < arrays; a++, at += n) tensor.push(floats.slice(at, at + n));
    result.push(tensor);
  }
  expect(at).toBe(floats.length);
  return result;
}

// The 128-bit build must compute the same step, or its time would say nothing.
describe.for(LIMIT_BUILDS)("$name against a float64 reference", (limit) => {
  it("A2S: parameters, state and curvature after 10 steps within float32 rounding", async () => {
    const exe = binary(limit);
    const { params, grads } = inputs(1);
    const result = await run(exe, ["replay"], replayInput(0, LENGTHS, OPTIONS, params, grads));
    if (!result.ok) throw new Error(result.message);
    const curvatures = new Float64Array(
      result.stdout.buffer.slice(result.stdout.byteOffset, result.stdout.byteOffset + 8 * STEPS),
    );
    const arrays = readArrays(result.stdout, 8 * STEPS, 5);
    const expected = referenceA2S(LENGTHS, OPTIONS, params, grads);
    expect(curvatures[0]).toBe(0);
    for (let s = 1; s < STEPS; s++) {
      expect(
        Math.abs((curvatures[s] as number) - (expected.curvatures[s] as number)) /
          (expected.curvatures[s] as number),
      ).toBeLessThan(TOLERANCE);
    }
    (["p", "m", "v", "buf", "prev"] as const).forEach((name, a) => {
      const error = relativeError(
        arrays.map((t) => t[a] as Float32Array),
        expected.state.map((x) => x[name]),
      );
      expect(error, name).toBeLessThanOrEqual(TOLERANCE);
    });
    // The parameters moved far more than the tolerance: the comparison can fail.
    expect(
      relativeError(
        params,
        expected.state.map((x) => x.p),
      ),
    ).toBeGreaterThan(100 * TOLERANCE);
  });

  it("Adam: parameters and moments after 10 steps within float32 rounding", async () => {
    const exe = binary(limit);
    const { params, grads } = inputs(2);
    const result = await run(exe, ["replay"], replayInput(1, LENGTHS, OPTIONS, params, grads));
    if (!result.ok) throw new Error(result.message);
    const arrays = readArrays(result.stdout, 0, 3);
    const expected = referenceAdam(LENGTHS, OPTIONS, params, grads);
    (["p", "m", "v"] as const).forEach((name, a) => {
      expect(
        relativeError(
          arrays.map((t) => t[a] as Float32Array),
          expected.map((x) => x[name]),
        ),
        name,
      ).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it.for([
    [1, Number.NaN],
    [4, Number.POSITIVE_INFINITY],
  ] as const)("a non-finite gradient at step %i stops the replay there and names tensor and index", async ([
    step,
    bad,
  ]) => {
    const exe = binary(limit);
    const { params, grads } = inputs(3);
    (grads[step - 1]?.[3] as Float32Array)[33] = bad;
    const result = await run(exe, ["replay"], replayInput(0, LENGTHS, OPTIONS, params, grads));
    if (!result.ok) throw new Error(result.message);
    const out = result.stdout;
    // One curvature per completed step, then -1 and the culprit, and nothing after.
    expect(out.byteLength).toBe(8 * step + 8);
    expect(out.readDoubleLE(8 * (step - 1))).toBe(-1);
    expect([out.readUInt32LE(8 * step), out.readUInt32LE(8 * step + 4)]).toEqual([3, 33]);
  });
});

describe("vectorisation", () => {
  it.for(
    LIMIT_BUILDS,
  )("$name: gcc vectorises a loop in each kernel; another compiler reports nothing rather than guessing", (limit) => {
    const { vectorised } = build(limit);
    // gcc alone lists the loops it vectorised (-fopt-info-vec-optimized).
    expect(vectorised).toEqual(compiler?.gcc ? [...LIMIT_KERNELS] : null);
  });

  it("attributes each reported loop to the function defined last before its line", () => {
    const source = [
      "static double diff_squares(const float *g) {",
      "  for (;;) {}",
      "}",
      "static void a2s_update(size_t n, float *restrict p) {",
      "  for (;;) {}",
      "}",
      "static void adam_update(size_t n) {",
      "  for (;;) {}",
      "}",
    ].join("\n");
    const report = [
      "fused-step.c:2:3: optimized: loop vectorized using 32 byte vectors",
      "fused-step.c:5:3: optimized: basic block part vectorized using 32 byte vectors",
      "fused-step.c:8:3: optimized: loop vectorized using 16 byte vectors",
    ].join("\n");
    // Line 5 holds only a basic block vectorised, not a loop: a2s_update is not listed.
    expect(vectorisedKernels(source, report)).toEqual(["diff_squares", "adam_update"]);
  });
});

describe("the 128-bit build", () => {
  it("differs from the native build only by 128-bit lanes and no FMA, and says so in its label", () => {
    expect(LIMIT_128_FLAGS.filter((f) => !(LIMIT_FLAGS as readonly string[]).includes(f))).toEqual([
      "-mprefer-vector-width=128",
      "-mno-fma",
    ]);
    expect(LIMIT_FLAGS.every((f) => (LIMIT_128_FLAGS as readonly string[]).includes(f))).toBe(true);
    const cc: Compiler = { command: "cc", version: "cc 12", gcc: true };
    expect(limitLabel(cc)).toBe("C limit (cc -O3 -march=native -fno-math-errno)");
    expect(limitLabel(cc, LIMIT_128)).toBe(
      "C limit, 128-bit lanes without FMA (WebAssembly SIMD's instruction set) " +
        "(cc -O3 -march=native -mprefer-vector-width=128 -mno-fma -fno-math-errno)",
    );
  });

  // The flags are x86's; elsewhere the bench reports this build skipped with the compiler's error.
  it.skipIf(process.arch !== "x64")(
    "holds its code to 128-bit registers without fused multiply-add, as WebAssembly SIMD is",
    async () => {
      build(LIMIT_128);
      const assembly = async (flags: readonly string[]) => {
        const result = await run((compiler as Compiler).command, [...flags, "-S", "-o", "-", LIMIT_SOURCE]);
        if (!result.ok) throw new Error(result.message);
        return result.stdout.toString();
      };
      // 256- and 512-bit registers (AT&T syntax, as gcc and clang write by default), and the FMA instructions.
      const wide = /%[yz]mm\d/;
      const fma = /\bvfn?m(add|sub)/;
      const narrow = await assembly(LIMIT_128.flags);
      expect(narrow).not.toMatch(wide);
      expect(narrow).not.toMatch(fma);
      // Where the CPU has AVX2 and FMA, the native build uses both: the checks can see them.
      const cpu = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
      if (/\bavx2\b/.test(cpu) && /\bfma\b/.test(cpu)) {
        const native = await assembly(NATIVE_LIMIT.flags);
        expect(native).toMatch(wide);
        expect(native).toMatch(fma);
      }
    },
    60_000,
  );
});

describe("timing", () => {
  it("times A2S and Adam on the tensors the adapters get at a size, rounds x steps samples each", async () => {
    const exe = binary();
    const samples = await timeLimit(exe, 109_386, 2, 3);
    expect(samples.size).toBe(109_386);
    expect(samples.tensors).toBe(6);
    expect(samples.a2sMs).toHaveLength(6);
    expect(samples.adamMs).toHaveLength(6);
    for (const ms of [...samples.a2sMs, ...samples.adamMs]) expect(ms).toBeGreaterThan(0);
  });

  it("pools the runs at one size into one median", () => {
    const rows = limitRows([
      { size: 10, tensors: 1, a2sMs: [1, 2, 3], adamMs: [4, 5, 6] },
      { size: 20, tensors: 1, a2sMs: [9], adamMs: [9] },
      { size: 10, tensors: 1, a2sMs: [10, 11, 12], adamMs: [7, 8, 9] },
    ]);
    expect(rows).toEqual([
      { size: 10, tensors: 1, a2sMs: 6.5, adamMs: 6.5, samples: 6, a2sRunMs: [2, 11] },
      { size: 20, tensors: 1, a2sMs: 9, adamMs: 9, samples: 1, a2sRunMs: [9] },
    ]);
  });
});

describe("without a C compiler", () => {
  it("tries $CC first, then cc and gcc", () => {
    expect(compilerCandidates({ CC: "clang" })).toEqual(["clang", "cc", "gcc"]);
    expect(compilerCandidates({})).toEqual(["cc", "gcc"]);
  });

  it("both limits' rows are skipped with the reason, and the run goes on", async () => {
    const missing = "/nonexistent/a2s-no-cc";
    const reason = `no C compiler found (${missing}: spawn ${missing} ENOENT)`;
    const lines: string[] = [];
    const limit = await startLimit(makePlan(true), (line) => lines.push(line), [missing]);
    const result = await limit.finish();
    expect(result).toEqual([
      { available: false, reason },
      { available: false, reason },
    ]);
    expect(lines).toEqual([`  C limit skipped: ${reason}`, `  ${LIMIT_128.name} skipped: ${reason}`]);
  });
});

describe("startLimit", () => {
  it("times each build before and after, and skips one that does not compile while the other runs", async () => {
    build(); // throws without a compiler
    const cc = compiler as Compiler;
    const broken: LimitBuild = { name: "broken build", flags: ["-fno-such-option-a2s"] };
    const plan = { ...makePlan(true), stepSizes: [1000], limitTiming: () => ({ rounds: 1, steps: 2 }) };
    const lines: string[] = [];
    const limit = await startLimit(plan, (line) => lines.push(line), [cc.command], [NATIVE_LIMIT, broken]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ {2}broken build skipped: .*-fno-such-option-a2s/);
    expect(lines[1]).toMatch(/^ {2}C limit @ 1000: A2S [\d.e-]+ ms, Adam [\d.e-]+ ms$/);
    const [native, skipped] = await limit.finish();
    expect(lines).toHaveLength(3);
    expect(skipped).toMatchObject({
      available: false,
      reason: expect.stringContaining("-fno-such-option-a2s"),
    });
    if (!native?.available) throw new Error(`native limit not available: ${JSON.stringify(native)}`);
    expect(native.label).toBe(limitLabel(cc));
    // One row, pooled from the run before and the run after: 2 x 1 round x 2 steps.
    expect(native.rows).toHaveLength(1);
    expect(native.rows[0]).toMatchObject({ size: 1000, tensors: 1, samples: 4 });
    expect(native.rows[0]?.a2sRunMs).toHaveLength(2);
  });
});
