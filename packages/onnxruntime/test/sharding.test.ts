/**
 * Sharded steps: optimizers that each hold some of the tensors and sum their partial
 * sums through `allReduce` take the steps one optimizer holding all of them takes.
 */
import { Worker } from "node:worker_threads";
import { outsideAlgorithm, worstRelativeError } from "@a2s/conformance";
import { type AllReduce, InvalidCallError, type TensorRecord } from "@a2s/core";
import { Mlp } from "@a2s/mlp";
import { describe, expect, test } from "vitest";
import { appendOptimizerStep } from "../src/append-step.js";
import { A2S, Optimizer } from "../src/optimizer.js";
import { batch, feeds, linearModel } from "./linear-model.js";

/** Float64 MLP parameters (784-128-64-10), W1 b1 W2 | b2 W3 b3 split between two shards. */
const FIRST = ["W1", "b1", "W2"];
const mlpParams = (): TensorRecord =>
  Object.fromEntries(
    Object.entries(new Mlp({ seed: 3, dtype: "float64" }).params).map(([k, v]) => [k, v.slice()]),
  );

/** `g = 0.3·p + a different wiggle per element and step`: gradients that change, so the curvature does. */
function gradients(params: TensorRecord, step: number): TensorRecord {
  return Object.fromEntries(
    Object.entries(params).map(([name, p], k) => [
      name,
      Float64Array.from(p, (x, i) => 0.3 * x + 0.01 * Math.sin(step * 0.7 + i * 0.013 + k)),
    ]),
  );
}

/** Elementwise sums of the shards' partials. */
function sum(partials: readonly Float64Array[]): Float64Array {
  const totals = new Float64Array(partials[0]?.length ?? 0);
  for (const own of partials)
    for (let j = 0; j < own.length; j++) totals[j] = (totals[j] as number) + (own[j] as number);
  return totals;
}

/** One `allReduce` per shard that waits for every shard's partials and gives each their sums. */
function exchange(shards: number): AllReduce[] {
  let waiting: { partials: Float64Array; resolve: (totals: Float64Array) => void }[] = [];
  return Array.from(
    { length: shards },
    () => (partials: Float64Array) =>
      new Promise<Float64Array>((resolve) => {
        waiting.push({ partials, resolve });
        if (waiting.length < shards) return;
        const totals = sum(waiting.map((other) => other.partials));
        for (const other of waiting) other.resolve(Float64Array.from(totals));
        waiting = [];
      }),
  );
}

const pick = (record: TensorRecord, names: readonly string[], keep: boolean) =>
  Object.fromEntries(Object.entries(record).filter(([name]) => names.includes(name) === keep));

// Normwise relative error per tensor (the conformance suite's measure). Sums over the
// tensors add in another order when split between shards (one float64 rounding per
// term, relative 1.1e-16), and 200 steps compound it; 1e-12 holds that with room while
// any missing or doubled term (a shard summing alone) is off by far more.
const TOLERANCE = 1e-12;
// Hundreds of float64 steps of the MLP's 109,386 parameters in three optimizers: seconds.
const LONG = 120_000;

describe("sharded steps", () => {
  for (const clipNorm of [Number.POSITIVE_INFINITY, 2]) {
    test(
      `two optimizers each holding half the MLP's tensors take the steps of one holding all, 200 steps, clipNorm ${clipNorm}`,
      async () => {
        const options = { clipNorm, switchIter: 50, blendIters: 100, curvatureK: 0.5 };
        const [first, second] = exchange(2);
        const shards = [new A2S(options, { allReduce: first }), new A2S(options, { allReduce: second })];
        const whole = new A2S(options);
        const params = mlpParams();
        const parts = [pick(params, FIRST, true), pick(params, FIRST, false)];
        const reference = mlpParams();
        const clipFactors: number[] = [];
        for (let step = 1; step <= 200; step++) {
          const g = gradients({ ...parts[0], ...parts[1] }, step);
          await Promise.all(
            shards.map((shard, k) => shard.update(parts[k] as TensorRecord, pick(g, FIRST, k === 0))),
          );
          await whole.update(reference, gradients(reference, step));
          clipFactors.push(shards[0]?.diagnostics?.clipFactor ?? Number.NaN);
        }
        expect(worstRelativeError({ ...parts[0], ...parts[1] }, reference)).toBeLessThanOrEqual(TOLERANCE);
        const d = shards[0]?.diagnostics;
        expect(d?.curvature).toBeGreaterThan(0);
        expect(
          Math.abs((d?.curvature as number) - (whole.diagnostics?.curvature as number)),
        ).toBeLessThanOrEqual(TOLERANCE * (whole.diagnostics?.curvature as number));
        // With clipping on, it clipped (a factor below 1) at some steps.
        const clipped = clipFactors.filter((factor) => factor < 1).length;
        expect(clipped > 0).toBe(clipNorm !== Number.POSITIVE_INFINITY);
      },
      LONG,
    );
  }

  test(
    "across two worker threads, exchanging partial sums by message, the same steps as one optimizer",
    async () => {
      const steps = 50;
      const options = { clipNorm: 5, switchIter: 10, blendIters: 20, curvatureK: 0.5 };
      // Each worker holds half the tensors and steps them, asking the main thread for the sums.
      const code = `
      const { parentPort, workerData } = require("node:worker_threads");
      (async () => {
        const { A2S } = await import(workerData.packageUrl);
        const { Mlp } = await import(workerData.mlpUrl);
        const names = workerData.names;
        const all = new Mlp({ seed: 3, dtype: "float64" }).params;
        const params = Object.fromEntries(names.map((n) => [n, all[n].slice()]));
        const pending = [];
        parentPort.on("message", (totals) => pending.shift()(totals));
        const allReduce = (partials) => new Promise((resolve) => { pending.push(resolve); parentPort.postMessage({ partials }); });
        const optimizer = new A2S(workerData.options, { allReduce });
        for (let step = 1; step <= workerData.steps; step++) {
          const grads = Object.fromEntries(names.map((n) => [n, Float64Array.from(params[n],
            (x, i) => 0.3 * x + 0.01 * Math.sin(step * 0.7 + i * 0.013 + workerData.offsets[n]))]));
          await optimizer.update(params, grads);
        }
        parentPort.postMessage({ done: params });
      })();
    `;
      const names = Object.keys(mlpParams());
      const offsets = Object.fromEntries(names.map((n, k) => [n, k]));
      const run = (shard: string[]) =>
        new Worker(code, {
          eval: true,
          workerData: {
            packageUrl: new URL("../dist/index.js", import.meta.url).href,
            mlpUrl: import.meta.resolve("@a2s/mlp"),
            names: shard,
            offsets,
            options,
            steps,
          },
        });
      const workers = [run(FIRST), run(names.filter((n) => !FIRST.includes(n)))];
      const results: TensorRecord[] = [];
      let waiting: { worker: Worker; partials: Float64Array }[] = [];
      await new Promise<void>((resolve, reject) => {
        for (const worker of workers) {
          worker.on("error", reject);
          worker.on("message", (message: { partials?: Float64Array; done?: TensorRecord }) => {
            if (message.done) {
              results.push(message.done);
              if (results.length === workers.length) resolve();
              return;
            }
            waiting.push({ worker, partials: message.partials as Float64Array });
            if (waiting.length < workers.length) return;
            const totals = sum(waiting.map((other) => other.partials));
            for (const other of waiting) other.worker.postMessage(totals);
            waiting = [];
          });
        }
      });
      await Promise.all(workers.map((worker) => worker.terminate()));
      const whole = new A2S(options);
      const reference = mlpParams();
      for (let step = 1; step <= steps; step++) await whole.update(reference, gradients(reference, step));
      expect(worstRelativeError(Object.assign({}, ...results), reference)).toBeLessThanOrEqual(TOLERANCE);
    },
    LONG,
  );

  test(
    "an algorithm defined outside core shards the same way",
    async () => {
      const [first, second] = exchange(2);
      const make = (allReduce?: AllReduce) =>
        new Optimizer(
          outsideAlgorithm({ learningRate: 0.1, halveAfter: 5 } as never),
          allReduce ? { allReduce } : {},
        );
      const shards = [make(first), make(second)];
      const whole = make();
      const params = mlpParams();
      const parts = [pick(params, FIRST, true), pick(params, FIRST, false)];
      const reference = mlpParams();
      for (let step = 1; step <= 20; step++) {
        const g = gradients({ ...parts[0], ...parts[1] }, step);
        await Promise.all(
          shards.map((shard, k) => shard.update(parts[k] as TensorRecord, pick(g, FIRST, k === 0))),
        );
        await whole.update(reference, gradients(reference, step));
      }
      expect(worstRelativeError({ ...parts[0], ...parts[1] }, reference)).toBeLessThanOrEqual(TOLERANCE);
      expect(shards[1]?.diagnostics?.velocityNorm).toBeCloseTo(whole.diagnostics?.velocityNorm as number, 12);
    },
    LONG,
  );

  test("steps appended to two models, each holding one parameter, take the steps of one model holding both", async () => {
    const options = { clipNorm: 1, switchIter: 3, blendIters: 5, curvatureK: 0.5 };
    const [first, second] = exchange(2);
    const start = { W: Float64Array.of(0.1, -0.2, 0.3, 0.05, 0), b: Float64Array.of(0.2) };
    // Each shard's model takes the other parameter as a plain input, fed its current value.
    const shardW = appendOptimizerStep(
      linearModel({ dtype: "float64", fixed: ["b"] }),
      new A2S(options, { allReduce: first }),
      {
        gradients: { W: "grad_W" },
        parameters: { W: start.W },
      },
    );
    const shardB = appendOptimizerStep(
      linearModel({ dtype: "float64", fixed: ["W"] }),
      new A2S(options, { allReduce: second }),
      {
        gradients: { b: "grad_b" },
        parameters: { b: start.b },
      },
    );
    const whole = appendOptimizerStep(linearModel({ dtype: "float64" }), new A2S(options), {
      gradients: { W: "grad_W", b: "grad_b" },
      parameters: start,
    });
    for (let step = 1; step <= 30; step++) {
      const data = feeds(batch(step, 16, "float64"));
      const W = shardW.parameters().W as Float64Array;
      const b = shardB.parameters().b as Float64Array;
      await Promise.all([
        shardW.run({ ...data, b: { type: "float64", data: b, dims: [1] } }),
        shardB.run({ ...data, W: { type: "float64", data: W, dims: [5] } }),
      ]);
      await whole.run(data);
    }
    expect(
      worstRelativeError({ ...shardW.parameters(), ...shardB.parameters() }, whole.parameters()),
    ).toBeLessThanOrEqual(TOLERANCE);
  });

  test("allReduce gets one partial sum per global sum of the step, sync or async", async () => {
    const seen: number[][] = [];
    const identity = (partials: Float64Array) => {
      seen.push(Array.from(partials));
      return partials;
    };
    const sharded = new A2S({ clipNorm: 1 }, { allReduce: identity });
    const alone = new A2S({ clipNorm: 1 });
    const a = mlpParams();
    const b = mlpParams();
    for (let step = 1; step <= 3; step++) {
      await sharded.update(a, gradients(a, step));
      await alone.update(b, gradients(b, step));
    }
    // Clipping's sum of squares, then the curvature's: two calls per step, one value each.
    expect(seen.map((partials) => partials.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(a).toEqual(b);
  });

  test("an allReduce that breaks its contract is refused with InvalidCallError, and nothing changes", async () => {
    for (const broken of [
      () => new Float64Array(3),
      () => Float64Array.of(Number.NaN),
      () => "sums" as never,
    ]) {
      const optimizer = new A2S({}, { allReduce: broken });
      const params = mlpParams();
      const before = await optimizer.saveCheckpoint();
      const error = await optimizer.update(params, gradients(params, 1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCallError);
      expect(error).toMatchObject({ operation: "allReduce" });
      expect(params).toEqual(mlpParams());
      expect(await optimizer.saveCheckpoint()).toEqual(before);
    }
  });
});
