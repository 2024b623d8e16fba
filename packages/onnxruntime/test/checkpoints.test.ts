import { readdirSync, readFileSync } from "node:fs";
import { NoisyQuadratic } from "@a2s/conformance";
import { type AlgorithmFactory, BUILT_IN_ALGORITHMS, type FloatArray } from "@a2s/core";
import { describe, expect, test } from "vitest";
import { Optimizer } from "../src/optimizer.js";

/** A checkpoint the pre-engine code wrote and the steps it took after it. */
interface Fixture {
  kind: string;
  dtype: "float32" | "float64";
  options: Record<string, number>;
  seed: number;
  saveAt: number;
  total: number;
  checkpoint: string;
  paramsAtSave: Record<string, string>;
  trajectory: Record<string, string>[];
}

describe("checkpoints written before the engine (format 1)", () => {
  const dir = new URL("./fixtures/v1/", import.meta.url);
  const fromHex = (hex: string) => new Float64Array(new Uint8Array(Buffer.from(hex, "hex")).buffer);
  const toHex = (values: ArrayLike<number>) => Buffer.from(Float64Array.from(values).buffer).toString("hex");
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));

  test("there are fixtures of both dtypes", () => {
    expect(files.some((f) => f.includes("float32"))).toBe(true);
    expect(files.some((f) => f.includes("float64"))).toBe(true);
  });

  /** The parameters after each step from the save on, as the old code's float64 hex. */
  async function replay(fixture: Fixture): Promise<Record<string, string>[]> {
    const problem = new NoisyQuadratic(fixture.seed);
    // The problem draws its noise step by step: draw what the steps before the save used.
    for (let step = 1; step <= fixture.saveAt; step++)
      problem.gradient(problem.initialParams() as never, step);
    const inDtype = (values: Float64Array) =>
      fixture.dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
    const params: Record<string, FloatArray> = {};
    for (const [name, hex] of Object.entries(fixture.paramsAtSave)) params[name] = inDtype(fromHex(hex));
    const algorithm = BUILT_IN_ALGORITHMS[fixture.kind] as AlgorithmFactory<Record<string, number>>;
    const optimizer = new Optimizer(algorithm(fixture.options));
    await optimizer.loadCheckpoint(new Uint8Array(Buffer.from(fixture.checkpoint, "base64")));
    expect(optimizer.t).toBe(fixture.saveAt);
    const trajectory: Record<string, string>[] = [];
    for (let step = fixture.saveAt + 1; step <= fixture.total; step++) {
      const at = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]));
      const grads: Record<string, FloatArray> = {};
      for (const [name, g] of Object.entries(problem.gradient(at, step))) grads[name] = inDtype(g);
      await optimizer.update(params, grads);
      trajectory.push(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, toHex(v)])));
    }
    await optimizer.dispose();
    return trajectory;
  }

  for (const file of files) {
    test(`${file}: loads and continues bit for bit as the old code did`, async () => {
      const fixture: Fixture = JSON.parse(readFileSync(new URL(file, dir), "utf8"));
      expect(await replay(fixture)).toEqual(fixture.trajectory);
    });
  }
});
