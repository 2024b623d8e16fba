/** The program behind `pnpm mnist`, returning its exit code (cli.ts sets it). */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadMnist } from "@a2s/mnist";
import { loadAdapter, UnknownAdapterError } from "./adapter.js";
import { parseCliArgs, USAGE, UsageError } from "./args.js";
import { renderChart } from "./chart.js";
import { runExperiment } from "./experiment.js";
import { createProgress } from "./progress.js";
import { formatTable } from "./table.js";

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Where relative paths given on the command line start. */
  cwd: string;
}

const defaultIo = (): Io => ({
  stdout: process.stdout,
  stderr: process.stderr,
  // pnpm runs scripts inside the package; INIT_CWD is where the user typed the command.
  cwd: process.env.INIT_CWD ?? process.cwd(),
});

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  let config: ReturnType<typeof parseCliArgs>;
  let adapter: Awaited<ReturnType<typeof loadAdapter>>;
  try {
    config = parseCliArgs(argv, io.cwd);
    if (config === "help") {
      io.stdout.write(USAGE);
      return 0;
    }
    adapter = await loadAdapter(config.adapter);
  } catch (error) {
    if (error instanceof UsageError || error instanceof UnknownAdapterError) {
      io.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  const data = await loadMnist(config.data === undefined ? {} : { dir: config.data });
  io.stdout.write(
    `MNIST: ${data.train.count} training, ${data.test.count} test images; adapter ${adapter.name}; ` +
      `${config.optimizers.map((o) => o.label).join(", ")}; ${config.epochs} epochs of batches of ${config.batchSize}\n`,
  );
  const results = await runExperiment(config, adapter, data, createProgress(io.stdout));
  io.stdout.write(`\n${formatTable(results)}\n`);
  await mkdir(config.out, { recursive: true });
  const json = join(config.out, "results.json");
  const svg = join(config.out, "chart.svg");
  await writeFile(json, `${JSON.stringify(results)}\n`);
  await writeFile(svg, await renderChart(results));
  io.stdout.write(`\nwrote ${json}\nwrote ${svg}\n`);
  return 0;
}
