import {
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  InvalidOptionError,
  NonFiniteGradientError,
  NonFiniteResultError,
  TensorMismatchError,
  type TensorRecord,
} from "@a2s/core";
import { describe, expect, test } from "vitest";
import { A2S, Adam, Optimizer, RMSProp, SGDMomentum } from "../src/optimizer.js";

/** `g = p - 0.5 + small wiggle`, in each parameter's dtype. */
function gradients(params: TensorRecord, step: number): TensorRecord {
  return Object.fromEntries(
    Object.entries(params).map(([name, p]) => {
      const g = p instanceof Float64Array ? new Float64Array(p.length) : new Float32Array(p.length);
      for (let i = 0; i < p.length; i++) g[i] = (p[i] as number) - 0.5 + 0.3 * Math.sin(step * (i + 1));
      return [name, g];
    }),
  );
}

const start = (dtype: "float32" | "float64" = "float64"): TensorRecord => {
  const make = (values: number[]) =>
    dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
  return { W: make([0.5, -1.5, 2, 0.25, -0.75, 1]), b: make([0.1, -0.2, 0.3]) };
};

const BLEND = { switchIter: 2, blendIters: 4, curvatureK: 0.5, lrAdam: 0.01, lrSgd: 0.02 };

async function run(optimizer: Optimizer, params: TensorRecord, from: number, to: number): Promise<void> {
  for (let step = from + 1; step <= to; step++) await optimizer.update(params, gradients(params, step));
}

describe("the optimizers", () => {
  test("each built-in class runs its algorithm, named as checkpoints record it", async () => {
    for (const [make, name] of [
      [() => new A2S(), "A2S"],
      [() => new Adam(), "Adam"],
      [() => new RMSProp(), "RMSProp"],
      [() => new SGDMomentum(), "SGDMomentum"],
    ] as const) {
      const optimizer = make();
      expect(optimizer.algorithm).toBe(name);
      const params = start();
      await run(optimizer, params, 0, 2);
      expect(optimizer.t).toBe(2);
      expect(decodeCheckpoint(await optimizer.saveCheckpoint()).algorithm).toBe(name);
      await optimizer.dispose();
    }
  });

  test("fromCheckpoint makes the optimizer of the checkpoint's algorithm, and continuing is bit for bit", async () => {
    const expected = start();
    await run(new A2S(BLEND), expected, 0, 8);
    const params = start();
    const first = new A2S(BLEND);
    await run(first, params, 0, 3);
    const second = Optimizer.fromCheckpoint(await first.saveCheckpoint());
    expect(second.algorithm).toBe("A2S");
    expect(second.options).toEqual(first.options);
    expect(second.t).toBe(3);
    await run(second, params, 3, 8);
    expect(params).toEqual(expected);
  });

  test("bad settings are refused at construction, naming the setting", () => {
    for (const shape of [[-1], [2.5], "3"]) {
      expect(() => new A2S({}, { shapes: { W: shape as never } })).toThrow(
        expect.objectContaining({ name: "InvalidOptionError", option: "shapes.W" }),
      );
    }
    expect(() => new A2S({}, { allReduce: 3 as never })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "allReduce" }),
    );
    expect(() => new A2S({}, { runtime: {} as never })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "runtime" }),
    );
    expect(() => new A2S({}, 5 as never)).toThrow(InvalidOptionError);
    expect(() => new Optimizer({} as never)).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "algorithm" }),
    );
  });

  test("a shape given in the settings must hold the array's length, and is recorded in checkpoints", async () => {
    const optimizer = new A2S({}, { shapes: { W: [2, 3] } });
    await expect(optimizer.update({ W: new Float32Array(5) }, { W: new Float32Array(5) })).rejects.toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "W", kind: "length" }),
    );
    await optimizer.update({ W: new Float32Array(6) }, { W: new Float32Array(6) });
    expect(decodeCheckpoint(await optimizer.saveCheckpoint()).tensors[0]?.shape).toEqual([2, 3]);
  });

  test("tensors of two dtypes are refused (one graph computes all of them), changing nothing", async () => {
    const optimizer = new A2S();
    const params = { W: new Float32Array(2), b: new Float64Array(2) };
    const error = await optimizer
      .update(params, { W: new Float32Array(2), b: new Float64Array(2) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TensorMismatchError);
    expect(error).toMatchObject({ tensor: "b", kind: "dtype" });
    expect(optimizer.t).toBe(0);
  });
});

describe("calls are queued and read what they were given", () => {
  test("unawaited updates use each gradient's contents at the call, not at the run", async () => {
    const expected = start();
    const reference = new A2S(BLEND);
    const params = start();
    const optimizer = new A2S(BLEND);
    const buffer = { W: new Float64Array(6), b: new Float64Array(3) };
    const pending: Promise<void>[] = [];
    for (let step = 1; step <= 4; step++) {
      const g = {
        W: Float64Array.from({ length: 6 }, (_, i) => Math.cos(step + i)),
        b: Float64Array.of(step, -step, 1),
      };
      await reference.update(expected, g);
      // One buffer, refilled before the previous call has run.
      buffer.W.set(g.W);
      buffer.b.set(g.b);
      pending.push(optimizer.update(params, buffer));
    }
    await Promise.all(pending);
    expect(params).toEqual(expected);
  });

  test("loadCheckpoint runs after the unawaited updates called before it", async () => {
    const fixed = [1, 2, 3].map((step) => gradients(start(), step));
    const source = new A2S(BLEND);
    await run(source, start(), 0, 2);
    const atTwo = await source.saveCheckpoint();

    const optimizer = new A2S(BLEND);
    const params = start();
    const calls = [
      optimizer.update(params, fixed[0] as TensorRecord),
      optimizer.update(params, fixed[1] as TensorRecord),
      optimizer.loadCheckpoint(atTwo),
      optimizer.update(params, fixed[2] as TensorRecord),
    ];
    await Promise.all(calls);

    // In call order: two steps on the parameters, the load (t = 2), one step from the loaded state.
    const expected = start();
    const before = new A2S(BLEND);
    await before.update(expected, fixed[0] as TensorRecord);
    await before.update(expected, fixed[1] as TensorRecord);
    const after = new A2S(BLEND);
    await after.loadCheckpoint(atTwo);
    await after.update(expected, fixed[2] as TensorRecord);
    expect(optimizer.t).toBe(3);
    expect(params).toEqual(expected);
    expect(await optimizer.saveCheckpoint()).toEqual(await after.saveCheckpoint());
  });

  test("A2S keeps each copied gradient as its previous one, whatever order the small tensors come in", async () => {
    // b and c share a unit; in this order their gradient copies lie apart (W between them).
    const shapes = { b: 3, W: 300_000, c: 2 };
    const make = () =>
      Object.fromEntries(
        Object.entries(shapes).map(([name, n]) => [
          name,
          Float32Array.from({ length: n }, (_, i) => Math.sin(i + n)),
        ]),
      );
    const apart = make();
    const together = { b: apart.b?.slice(), c: apart.c?.slice(), W: apart.W?.slice() } as TensorRecord;
    const first = new A2S(BLEND);
    const second = new A2S(BLEND);
    for (let step = 1; step <= 6; step++) {
      const g = (p: TensorRecord) => gradients(p, step);
      await first.update(apart, g(apart));
      await second.update(together, g(together));
    }
    for (const name of Object.keys(shapes)) expect(apart[name]).toEqual(together[name]);
    expect(
      decodeCheckpoint(await first.saveCheckpoint()).tensors.find((t) => t.name === "c")?.slots.prev,
    ).toEqual(
      decodeCheckpoint(await second.saveCheckpoint()).tensors.find((t) => t.name === "c")?.slots.prev,
    );
  });

  test("saveCheckpoint waits for the updates called before it", async () => {
    const optimizer = new A2S(BLEND);
    const params = start();
    void optimizer.update(params, gradients(params, 1));
    const saved = decodeCheckpoint(await optimizer.saveCheckpoint());
    expect(saved.t).toBe(1);
  });

  test("calls after dispose are refused with InvalidCallError", async () => {
    const optimizer = new A2S();
    const params = start();
    await run(optimizer, params, 0, 1);
    await optimizer.dispose();
    await expect(optimizer.update(params, gradients(params, 2))).rejects.toThrow(
      expect.objectContaining({ name: "InvalidCallError" }),
    );
  });
});

describe("refusals change nothing", () => {
  test("finite gradients whose squares overflow are refused naming the state, nothing changes, and the checkpoint still loads", async () => {
    // The reproduction: 1e38 is finite in float32, its square is not.
    const optimizer = new A2S();
    const params = { w: Float32Array.of(1) };
    await optimizer.update(params, { w: Float32Array.of(0.5) });
    const before = await optimizer.saveCheckpoint();
    const after = params.w.slice();
    for (let i = 0; i < 5; i++) {
      const error = await optimizer.update(params, { w: Float32Array.of(1e38) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NonFiniteResultError);
      expect(error).toMatchObject({ tensor: "w", slot: "v" });
    }
    expect(params.w).toEqual(after);
    expect(await optimizer.saveCheckpoint()).toEqual(before);
    expect(optimizer.t).toBe(1);
    const reloaded = new A2S();
    await reloaded.loadCheckpoint(await optimizer.saveCheckpoint());
    expect(reloaded.t).toBe(1);
  });

  test("a state value no parameter shows (SGD at learning rate 0: the buffer drops out of the step) is still refused when it overflows", async () => {
    const optimizer = new SGDMomentum({ learningRate: 0 });
    const params = { w: Float32Array.of(1, 2) };
    await optimizer.update(params, { w: Float32Array.of(3e38, 1) });
    const before = await optimizer.saveCheckpoint();
    // 0.9 * 3e38 + 3e38 is past float32's largest value; the parameters themselves stay finite.
    const error = await optimizer.update(params, { w: Float32Array.of(3e38, 1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteResultError);
    expect(error).toMatchObject({ tensor: "w", slot: "buf", index: 0 });
    expect(await optimizer.saveCheckpoint()).toEqual(before);
    expect(Array.from(params.w)).toEqual([1, 2]);
  });

  test("a refused update leaves a loaded float64 state byte-identical (not cast to float32 first)", async () => {
    const source = new A2S(BLEND);
    const params = start("float64");
    await run(source, params, 0, 3);
    const saved = await source.saveCheckpoint();
    const optimizer = new A2S(BLEND);
    await optimizer.loadCheckpoint(saved);
    const params32 = start("float32");
    const bad = gradients(params32, 4);
    (bad.b as Float32Array)[1] = Number.NaN;
    const error = await optimizer.update(params32, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect(error).toMatchObject({ tensor: "b", index: 1 });
    expect(await optimizer.saveCheckpoint()).toEqual(saved);
    expect(Array.from(params32.W as Float32Array)).toEqual(Array.from(start("float32").W as Float32Array));
  });

  test("a float64 checkpoint loaded for float32 tensors whose state float32 cannot hold is refused, naming the slot", async () => {
    const source = new A2S(BLEND);
    await run(source, start("float64"), 0, 2);
    // One element of W's second moment that float64 holds and float32 cannot.
    const checkpoint = decodeCheckpoint(await source.saveCheckpoint());
    const W = checkpoint.tensors.find((tensor) => tensor.name === "W");
    (W?.slots.v as Float64Array)[2] = 1e57;
    const huge = encodeCheckpoint(checkpoint);
    const fresh = Optimizer.fromCheckpoint(huge);
    const before = await fresh.saveCheckpoint();
    const params32 = start("float32");
    const error = await fresh.update(params32, gradients(params32, 3)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error).toMatchObject({ problem: "data", message: expect.stringContaining("W.v[2]") });
    expect(await fresh.saveCheckpoint()).toEqual(before);
    const held = new A2S(BLEND);
    await run(held, params32, 0, 1);
    await expect(held.loadCheckpoint(huge)).rejects.toThrow(
      expect.objectContaining({ name: "CheckpointError", problem: "data" }),
    );
  });
});
