/** Seconds per MNIST epoch: the seed's MLP trained one batch of 64 at a time. */
import { batches, type Mnist, mulberry32, permutation } from "@a2s/mnist";
import type { TrainAdapter, Trainer } from "./adapters/types.js";
import { EPOCH_STEPS } from "./plan.js";
import type { Kind, TrainingRow } from "./results.js";
import { firstLine } from "./steps.js";

const BATCH = 64;
const SEED = 1;

/**
 * Times `steps` training steps per optimizer (the batches drawn, shuffled, inside the
 * timed loop, as the seed's loop does) and scales the time to a whole epoch of 938 steps
 * when fewer ran; `measuredSteps` says which.
 */
export async function trainingRows(
  adapter: TrainAdapter,
  mnist: Mnist,
  steps: number,
  log: (line: string) => void,
): Promise<TrainingRow[]> {
  const rows: TrainingRow[] = [];
  for (const kind of ["A2S", "Adam"] as Kind[]) {
    const row: TrainingRow = {
      adapter: adapter.name,
      kind,
      secondsPerEpoch: null,
      measuredSteps: 0,
      testAccuracy: null,
    };
    rows.push(row);
    let trainer: Trainer | undefined;
    try {
      trainer = await adapter.make(kind, SEED);
      const order = permutation(mnist.train.count, mulberry32(SEED));
      let done = 0;
      const start = performance.now();
      for (const batch of batches(mnist.train, BATCH, order)) {
        if (done === steps) break;
        await trainer.step(batch.x, batch.y);
        done++;
      }
      const seconds = (performance.now() - start) / 1000;
      row.measuredSteps = done;
      row.secondsPerEpoch = (seconds * EPOCH_STEPS) / done;
      row.testAccuracy = await trainer.accuracy(mnist.test.images, mnist.test.labels);
      log(
        `  ${adapter.name} ${kind}: ${row.secondsPerEpoch.toFixed(2)} s/epoch` +
          `${done < EPOCH_STEPS ? ` (from ${done} steps)` : ""}, accuracy ${row.testAccuracy.toFixed(4)}`,
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
