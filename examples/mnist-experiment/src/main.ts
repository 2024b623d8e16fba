/** The program behind `pnpm mnist`, returning its exit code (cli.ts sets it). */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { A2SError } from "@a2s/core";
import { type Mnist, MnistFileError } from "@a2s/mnist";
import { type ExperimentAdapter, loadAdapter, UnknownAdapterError } from "./adapter.js";
import { type ExperimentConfig, parseCliArgs, USAGE, UsageError } from "./args.js";
import { renderChart } from "./chart.js";
import { DataError, loadData } from "./data.js";
import { runExperiment } from "./experiment.js";
import { OUTPUT_FILES, OutputFolderError, prepareOutputFolder } from "./output-folder.js";
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

interface Prepared {
  config: ExperimentConfig;
  adapter: ExperimentAdapter;
  data: Mnist;
}

/**
 * Everything that can be wrong with what the user gave, checked before any training: the
 * flags, the adapter, the data, then the output folder (made last, so that bad flags or
 * data leave nothing behind).
 */
async function prepare(argv: string[], cwd: string): Promise<Prepared | "help"> {
  const config = parseCliArgs(argv, cwd);
  if (config === "help") return "help";
  const adapter = await loadAdapter(config.adapter);
  const data = await loadData(config.data);
  await prepareOutputFolder(config.out);
  return { config, adapter, data };
}

/** What stderr says for an error in the user's input, or undefined for anything else (a bug). */
function refusal(error: unknown): string | undefined {
  if (error instanceof UsageError || error instanceof UnknownAdapterError) {
    return `error: ${error.message}\n\n${USAGE}`;
  }
  if (
    error instanceof DataError ||
    error instanceof MnistFileError ||
    error instanceof OutputFolderError ||
    error instanceof A2SError
  ) {
    return `error: ${error.message}\n`;
  }
  return undefined;
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  let prepared: Prepared | "help";
  try {
    prepared = await prepare(argv, io.cwd);
  } catch (error) {
    const message = refusal(error);
    if (message === undefined) throw error;
    io.stderr.write(message);
    return 2;
  }
  if (prepared === "help") {
    io.stdout.write(USAGE);
    return 0;
  }
  const { config, adapter, data } = prepared;
  io.stdout.write(
    `MNIST: ${data.train.count} training, ${data.test.count} test images; adapter ${adapter.name}; ` +
      `${config.optimizers.map((o) => o.label).join(", ")}; ${config.epochs} epochs of batches of ${config.batchSize}\n`,
  );
  const results = await runExperiment(config, adapter, data, createProgress(io.stdout));
  io.stdout.write(`\n${formatTable(results)}\n`);
  const json = join(config.out, OUTPUT_FILES.results);
  const svg = join(config.out, OUTPUT_FILES.chart);
  await writeFile(json, `${JSON.stringify(results)}\n`);
  await writeFile(svg, await renderChart(results));
  io.stdout.write(`\nwrote ${json}\nwrote ${svg}\n`);
  return 0;
}
