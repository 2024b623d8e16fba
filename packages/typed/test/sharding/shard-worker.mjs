// One shard of a sharded A2S in a worker thread: it owns some of the MLP's tensors and
// sums its partial sums with the other shard's through shared memory, synchronously
// (Atomics), so its optimizer runs the ordinary synchronous update.
// Plain JavaScript over the built package: worker threads run outside vitest's transform.
import { parentPort, workerData } from "node:worker_threads";
import { A2S } from "@a2s/typed";

const { shard, shards, options, names, control, slots } = workerData;
const ctrl = new Int32Array(control); // [arrived, generation]
const shared = new Float64Array(slots); // shards x 8 partial sums

/** Waits until every shard has arrived, then lets them all go on. */
function barrier() {
  const generation = Atomics.load(ctrl, 1);
  if (Atomics.add(ctrl, 0, 1) === shards - 1) {
    Atomics.store(ctrl, 0, 0);
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  } else {
    while (Atomics.load(ctrl, 1) === generation) Atomics.wait(ctrl, 1, generation);
  }
}

function allReduce(partials) {
  shared.set(partials, shard * 8);
  barrier();
  const totals = new Float64Array(partials.length);
  // Summed in shard order in every shard, so every shard gets the same bits.
  for (let s = 0; s < shards; s++) for (let k = 0; k < partials.length; k++) totals[k] += shared[s * 8 + k];
  barrier(); // nobody overwrites the slots before everyone has read them
  return totals;
}

const optimizer = new A2S(options, { allReduce });
parentPort.on("message", ({ params, grads }) => {
  const p = Object.fromEntries(names.map((name) => [name, params[name]]));
  optimizer.update(p, Object.fromEntries(names.map((name) => [name, grads[name]])));
  parentPort.postMessage({ params: p, t: optimizer.t, kernel: optimizer.kernel });
});
