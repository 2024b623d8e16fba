/**
 * Seconds per MNIST epoch (938 steps of 64) with the trainer, A2S and Adam side by side
 * in one run. Run after `pnpm build`: `node bench/epoch.mjs [epochs] [threads]`.
 * Reports wall time and this process's CPU time: on a shared machine the CPU time is the
 * steadier figure, the wall time the one a user waits for.
 */
import { Mlp } from "@a2s/mlp";
import { batches, loadMnist, mulberry32, permutation } from "@a2s/mnist";
import { A2S, Adam, createTrainer } from "../dist/index.js";

const epochs = Number(process.argv[2] ?? 1);
const threads = Number(process.argv[3] ?? 1);
const { train, test } = await loadMnist();
const results = {};
for (const [name, make] of [
  ["A2S", () => new A2S()],
  ["Adam", () => new Adam()],
]) {
  const trainer = createTrainer({
    model: { params: new Mlp({ seed: 0 }).params },
    optimizer: make(),
    sessionOptions: { intraOpNumThreads: threads },
  });
  // One warm-up step creates the sessions outside the timed epochs.
  await trainer.trainStep(train.images.subarray(0, 64 * 784), train.labels.subarray(0, 64));
  const times = [];
  const cpuTimes = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = permutation(train.count, mulberry32(epoch + 1));
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    let steps = 0;
    for (const { x, y } of batches(train, 64, order)) {
      await trainer.trainStep(x, y);
      steps++;
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1e6);
    if (steps !== 938) throw new Error(`an epoch took ${steps} steps`);
  }
  const accuracy = await trainer.evaluate(test.images, test.labels);
  results[name] = {
    wallSecondsPerEpoch: Math.min(...times),
    cpuSecondsPerEpoch: Math.min(...cpuTimes),
    wall: times,
    cpu: cpuTimes,
    accuracy,
  };
  await trainer.dispose();
}
console.log(JSON.stringify({ threads, ...results }, null, 2));
