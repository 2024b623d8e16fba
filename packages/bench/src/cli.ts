/** Command-line flags of `pnpm bench`. */
import { parseArgs } from "node:util";

export interface CliOptions {
  quick: boolean;
  /** Folder for bench.md and bench.json; null to print only. */
  out: string | null;
  /** Skip the NumPy seed run even when python3 and numpy are present. */
  noSeed: boolean;
}

export const USAGE = `usage: pnpm bench [--quick] [--out DIR | --no-write] [--no-seed]
  --quick     fewer repeats, no 1e7 rows except typed's SIMD and fused kernels, the WebAssembly ones and tfjs's fused kernel, training
              extrapolated from a few steps (under two minutes)
  --out DIR   where to write bench.md and bench.json (default: packages/bench/results,
              or packages/bench/results/quick with --quick)
  --no-write  print the table only
  --no-seed   skip the NumPy rendition of the seed`;

export class UsageError extends Error {}

export function parseCli(argv: readonly string[], defaultOut: (quick: boolean) => string): CliOptions {
  let values: { quick?: boolean; out?: string; "no-write"?: boolean; "no-seed"?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: "boolean" },
        out: { type: "string" },
        "no-write": { type: "boolean" },
        "no-seed": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError("");
  if (values.out !== undefined && values["no-write"])
    throw new UsageError("--out and --no-write exclude each other");
  const quick = values.quick ?? false;
  return {
    quick,
    out: values["no-write"] ? null : (values.out ?? defaultOut(quick)),
    noSeed: values["no-seed"] ?? false,
  };
}
