/** Seconds per MNIST epoch: the seed's MLP trained one batch of 64 at a time. */
import { batches, type Mnist, mulberry32, permutation } from "@a2s/mnist";
import type { TrainAdapter, Trainer } from "./adapters/types.js";
import { EPOCH_STEPS } from "./plan.js";
import type { Kind, TrainingRow } from "./results.js";
import { firstLine } from "./steps.js";

const BATCH = 64;
const SEED = 1;

/**
 * Runs `steps` training steps per optimizer (the batches drawn, shuffled, inside the
 * loop, as the seed's loop does), times all but the first, and scales the time to a
 * whole epoch of 938 steps; `measuredSteps` says how many were timed.
 */
export async function trainingRows(
  adapter: TrainAdapter,
  mnist: Mnist,
  steps: number,
  log: (line: string) => void,
): Promise<TrainingRow[]> {
  const rows: TrainingRow[] = [];
  const planned = Math.min(steps, adapter.maxSteps ?? steps);
  for (const kind of ["A2S", "Adam"] as Kind[]) {
    const row: TrainingRow = {
      adapter: adapter.name,
      kind,
      secondsPerEpoch: null,
      cpuSecondsPerEpoch: null,
      measuredSteps: 0,
      testAccuracy: null,
    };
    rows.push(row);
    let trainer: Trainer | undefined;
    try {
      trainer = await adapter.make(kind, SEED);
      const order = permutation(mnist.train.count, mulberry32(SEED));
      let done = 0;
      let start = 0;
      let startCpu = process.cpuUsage();
      for (const batch of batches(mnist.train, BATCH, order)) {
        if (done === planned) break;
        await trainer.step(batch.x, batch.y);
        // The first step builds what the adapter builds once (sessions, graphs, JIT code):
        // the clocks start after it, and the epoch is scaled from the steps timed.
        if (done === 0) {
          start = performance.now();
          startCpu = process.cpuUsage();
        }
        done++;
      }
      const seconds = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(startCpu);
      row.measuredSteps = done - 1;
      row.secondsPerEpoch = (seconds * EPOCH_STEPS) / row.measuredSteps;
      row.cpuSecondsPerEpoch = ((cpu.user + cpu.system) / 1e6) * (EPOCH_STEPS / row.measuredSteps);
      row.testAccuracy = await trainer.accuracy(mnist.test.images, mnist.test.labels);
      log(
        `  ${adapter.name} ${kind}: ${row.secondsPerEpoch.toFixed(2)} s/epoch` +
          ` (from ${row.measuredSteps} steps), accuracy ${row.testAccuracy.toFixed(4)}`,
      );
    } catch (error) {
      row.note = `failed: ${firstLine(error)}`;
      log(`  ${adapter.name} ${kind}: ${row.note}`);
    } finally {
      await trainer?.dispose();
    }
  }
  return rows;
}
