/** A small deterministic problem for the unit tests: gradients that depend on the parameters. */
import { mulberry32 } from "@a2s/random";
import type { AllReduce, TensorRecord } from "../src/index.js";

export function makeParams(dtype: "float32" | "float64", seed = 1): TensorRecord {
  const r = mulberry32(seed);
  const make = (n: number) => {
    const values = Array.from({ length: n }, () => 2 * r() - 1);
    return dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
  };
  return { W: make(6), b: make(3), s: make(1) };
}

/** `g = p - 0.5 + noise(step)`, in the dtype of each parameter. */
export function gradients(params: TensorRecord, step: number): TensorRecord {
  const r = mulberry32(1000 + step);
  return Object.fromEntries(
    Object.entries(params).map(([name, p]) => {
      const g = p instanceof Float64Array ? new Float64Array(p.length) : new Float32Array(p.length);
      for (let i = 0; i < p.length; i++) g[i] = (p[i] as number) - 0.5 + 0.3 * (2 * r() - 1);
      return [name, g];
    }),
  );
}

export function cloneRecord(record: TensorRecord): TensorRecord {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v.slice()]));
}

/** An in-process allReduce: each shard's call waits for the others', then all get the sum in shard order. */
export function rendezvous(shards: number): AllReduce[] {
  let arrived: { partials: Float64Array; resolve: (totals: Float64Array) => void }[] = [];
  return Array.from(
    { length: shards },
    (_, shard) => (partials: Float64Array) =>
      new Promise<Float64Array>((resolve) => {
        arrived[shard] = { partials, resolve };
        if (arrived.filter(Boolean).length < shards) return;
        const totals = new Float64Array(partials.length);
        for (const { partials: part } of arrived)
          for (let k = 0; k < part.length; k++) totals[k] = (totals[k] as number) + (part[k] as number);
        for (const { resolve: done } of arrived) done(totals);
        arrived = [];
      }),
  );
}
