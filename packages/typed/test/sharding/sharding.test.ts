/**
 * Sharded A2S: two optimizers, each holding half of the seed MLP's tensors and exchanging
 * their partial sums through `allReduce`, take the same steps as one optimizer holding
 * all of them. Once in one thread (an asynchronous rendezvous, `updateAsync`) and once
 * across two worker threads (a synchronous exchange in shared memory, `update`).
 */
import { Worker } from "node:worker_threads";
import { Mlp, type MlpParams } from "@a2s/mlp";
import { mulberry32 } from "@a2s/random";
import { describe, expect, test } from "vitest";
import { A2S, type A2SOptions, type AllReduce } from "../../src/index.js";
import { rendezvous } from "../helpers.js";

const STEPS = 200;
const BATCH = 16;
const SHARDS: readonly (readonly string[])[] = [
  ["W1", "b1", "W2"],
  ["b2", "W3", "b3"],
];
/** Both reductions in play (clipping, then the curvature); the blend crosses the run. */
const OPTIONS: Partial<A2SOptions> = {
  switchIter: 50,
  blendIters: 100,
  curvatureK: 0.5,
  clipNorm: 2,
  lrAdam: 2e-3,
  lrSgd: 2e-2,
};
/**
 * The shards add their partial sums in another order than one optimizer does (a sum of
 * two sums of three instead of one sum of six): the totals may differ in their last bit,
 * and the curvature scale passes that on to every step. 1e-12 is a thousand such
 * roundings; a wrong or missing partial sum moves the result by far more.
 */
const TOLERANCE = 1e-12;

/** Seeded random batches: the shards and the reference see the same gradients as long as their parameters agree. */
function batches(): { x: Float64Array; y: Uint8Array }[] {
  const random = mulberry32(11);
  return Array.from({ length: STEPS }, () => ({
    x: Float64Array.from({ length: BATCH * 784 }, () => random()),
    y: Uint8Array.from({ length: BATCH }, () => Math.floor(10 * random())),
  }));
}

function gradientsAt(model: Mlp<"float64">, batch: { x: Float64Array; y: Uint8Array }): MlpParams<"float64"> {
  model.forward(batch.x);
  return model.backward(batch.y);
}

function pick<T>(record: Record<string, T>, names: readonly string[]): Record<string, T> {
  return Object.fromEntries(names.map((name) => [name, record[name] as T]));
}

let referenceParams: MlpParams<"float64"> | undefined;

/** One optimizer holding every tensor (computed once for both tests). */
function reference(): MlpParams<"float64"> {
  if (referenceParams === undefined) {
    const model = new Mlp({ seed: 5, maxBatch: BATCH, dtype: "float64" });
    const optimizer = new A2S(OPTIONS);
    for (const batch of batches()) optimizer.update(model.params, gradientsAt(model, batch));
    referenceParams = model.params;
  }
  return referenceParams;
}

function worstRelativeError(
  actual: Record<string, Float64Array>,
  expected: Record<string, Float64Array>,
): number {
  let worst = 0;
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name] as Float64Array;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < e.length; i++) {
      diff = Math.max(diff, Math.abs((a[i] as number) - (e[i] as number)));
      scale = Math.max(scale, Math.abs(e[i] as number));
    }
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

/** 200 steps of the seed's MLP, three times over: tens of seconds on a loaded 2-core machine. */
const TIMEOUT = 180_000;

describe("A2S sharded across optimizers through allReduce", () => {
  test(
    `two optimizers in one thread equal one optimizer after ${STEPS} steps`,
    async () => {
      const expected = reference();
      const model = new Mlp({ seed: 5, maxBatch: BATCH, dtype: "float64" });
      const exchanges = rendezvous(SHARDS.length);
      const optimizers = SHARDS.map((_, s) => new A2S(OPTIONS, { allReduce: exchanges[s] as AllReduce }));
      for (const batch of batches()) {
        const grads = gradientsAt(model, batch);
        await Promise.all(
          SHARDS.map((names, s) => optimizers[s]?.updateAsync(pick(model.params, names), pick(grads, names))),
        );
      }
      expect(optimizers.map((o) => o.t)).toEqual([STEPS, STEPS]);
      const error = worstRelativeError(model.params, expected);
      console.log(`sharded in one thread: worst relative difference ${error.toExponential(2)}`);
      expect(error).toBeLessThanOrEqual(TOLERANCE);
    },
    TIMEOUT,
  );

  test(
    `two optimizers in two worker threads equal one optimizer after ${STEPS} steps`,
    async () => {
      const expected = reference();
      const model = new Mlp({ seed: 5, maxBatch: BATCH, dtype: "float64" });
      const control = new SharedArrayBuffer(8);
      const slots = new SharedArrayBuffer(SHARDS.length * 8 * 8);
      const workers = SHARDS.map(
        (names, shard) =>
          new Worker(new URL("./shard-worker.mjs", import.meta.url), {
            workerData: { shard, shards: SHARDS.length, options: OPTIONS, names, control, slots },
          }),
      );
      const ask = (worker: Worker, message: unknown) =>
        new Promise<{ params: Record<string, Float64Array>; t: number; kernel: string }>(
          (resolve, reject) => {
            worker.once("message", resolve);
            worker.once("error", reject);
            worker.postMessage(message);
          },
        );
      try {
        let kernels: string[] = [];
        for (const batch of batches()) {
          const grads = gradientsAt(model, batch);
          const replies = await Promise.all(
            SHARDS.map((names, s) =>
              ask(workers[s] as Worker, { params: pick(model.params, names), grads: pick(grads, names) }),
            ),
          );
          for (const reply of replies) {
            for (const [name, values] of Object.entries(reply.params))
              (model.params[name as "W1"] as Float64Array).set(values);
          }
          kernels = replies.map((r) => r.kernel);
        }
        // A synchronous exchange lets the fused kernel run the sharded step.
        expect(kernels).toEqual(["fused", "fused"]);
        const error = worstRelativeError(model.params, expected);
        console.log(`sharded across worker threads: worst relative difference ${error.toExponential(2)}`);
        expect(error).toBeLessThanOrEqual(TOLERANCE);
      } finally {
        await Promise.all(workers.map((w) => w.terminate()));
      }
    },
    TIMEOUT,
  );
});
