import { readdirSync, readFileSync } from "node:fs";
import { TOLERANCE } from "@a2s/conformance";
import { describe, expect, test } from "vitest";
import {
  A2SNeuralNetwork,
  adam,
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  sgdMomentum,
} from "../src/index.js";
import { fresh, snapshot, thrown, xor } from "./helpers.js";
import { brainJSON } from "./reference-mlp.js";

// A schedule that blends within the run, with curvature damping on.
const BLEND = { lrAdam: 0.02, lrSgd: 0.05, switchIter: 20, blendIters: 40, curvatureK: 0.5 };

describe("checkpoints", () => {
  test("save mid-blend, load into a fresh network, and the rest of the run is the same", () => {
    const whole = fresh(BLEND);
    whole.train(xor, { iterations: 10, errorThresh: 1e-6 });
    const weights = whole.toJSON();
    const state = whole.saveCheckpoint();
    expect(whole.diagnostics?.w).toBeLessThan(1);
    expect(whole.diagnostics?.w).toBeGreaterThan(0);
    whole.train(xor, { iterations: 15, errorThresh: 1e-6 });

    const resumed = new A2SNeuralNetwork().fromJSON(weights);
    resumed.loadCheckpoint(state);
    expect(resumed.options).toEqual(whole.options);
    expect(resumed.t).toBe(40);
    resumed.train(xor, { iterations: 15, errorThresh: 1e-6 });
    expect(resumed.toJSON()).toEqual(whole.toJSON());

    // Without the state (fresh moments, step count 0) the run differs: the test can fail.
    const restarted = new A2SNeuralNetwork().fromJSON(weights);
    restarted.train(xor, { iterations: 15, errorThresh: 1e-6 });
    expect(restarted.toJSON()).not.toEqual(whole.toJSON());
  });

  test("the checkpoint is core's format, one tensor per layer matrix and bias vector", () => {
    const net = fresh(BLEND);
    net.train(xor, { iterations: 3 });
    const checkpoint = decodeCheckpoint(net.saveCheckpoint());
    expect(checkpoint.algorithm).toBe("A2S");
    expect(checkpoint.t).toBe(12);
    expect(checkpoint.options).toMatchObject(BLEND);
    expect(checkpoint.tensors.map((t) => [t.name, t.shape])).toEqual([
      ["weights.1", [4, 2]],
      ["biases.1", [4]],
      ["weights.2", [1, 4]],
      ["biases.2", [1]],
    ]);
    expect(checkpoint.tensors[0]?.slots.m).toBeInstanceOf(Float32Array);
  });

  test("before any step the tensor set is fixed: the checkpoint holds the layers' shapes, one of other layers is refused", () => {
    const net = fresh(BLEND);
    const checkpoint = decodeCheckpoint(net.saveCheckpoint());
    expect(checkpoint.t).toBe(0);
    expect(checkpoint.tensors.map((t) => t.shape)).toEqual([[4, 2], [4], [1, 4], [1]]);
    expect(Object.keys(checkpoint.tensors[0]?.slots ?? {}).sort()).toEqual(["buf", "m", "prev", "v"]);
    const other = fresh(BLEND, brainJSON([2, 5, 1], "sigmoid")).saveCheckpoint();
    const before = snapshot(net);
    const error = thrown(() => net.loadCheckpoint(other));
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error).toMatchObject({ problem: "tensors" });
    expect(snapshot(net)).toEqual(before);
  });

  test("damaged bytes, another algorithm or other layers are refused, nothing changed", () => {
    const net = fresh(BLEND);
    net.train(xor, { iterations: 3 });
    const before = snapshot(net);
    const state = net.saveCheckpoint();
    const damaged = state.slice();
    damaged[damaged.length - 9] = (damaged[damaged.length - 9] as number) ^ 1;
    const other = fresh(BLEND, brainJSON([2, 5, 1], "sigmoid"));
    other.train(xor, { iterations: 1 });
    const cases: [Uint8Array, string][] = [
      [damaged, "checksum"],
      [fresh(adam()).saveCheckpoint(), "algorithm"],
      [other.saveCheckpoint(), "tensors"],
    ];
    for (const [bytes, problem] of cases) {
      const error = thrown(() => net.loadCheckpoint(bytes));
      expect(error).toBeInstanceOf(CheckpointError);
      expect(error).toMatchObject({ problem });
      expect(snapshot(net)).toEqual(before);
    }
  });

  test("a loaded checkpoint's options replace the network's, and its JSON then carries them", () => {
    const source = fresh(sgdMomentum({ learningRate: 0.2, momentum: 0.5 }));
    source.train(xor, { iterations: 2 });
    const net = fresh(sgdMomentum());
    net.loadCheckpoint(source.saveCheckpoint());
    expect(net.options).toEqual(source.options);
    expect(net.toJSON().optimizer).toEqual(source.toJSON().optimizer);
    // The options stay when brain rebuilds the layers from JSON without an optimizer.
    const { optimizer: _, ...plain } = source.toJSON();
    expect(net.fromJSON(plain).options).toEqual(source.options);
  });

  test("a checkpoint with a stored option out of range is refused naming it, nothing changed", () => {
    const net = fresh(BLEND);
    net.train(xor, { iterations: 2 });
    const before = snapshot(net);
    const checkpoint = decodeCheckpoint(net.saveCheckpoint());
    const bad = encodeCheckpoint({ ...checkpoint, options: { ...checkpoint.options, beta2: 1 } });
    const error = thrown(() => net.loadCheckpoint(bad));
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toContain("beta2");
    expect(snapshot(net)).toEqual(before);
  });
});

describe("networks saved by the code before the engine (v1 checkpoints, JSON with `a2s`)", () => {
  const dir = new URL("./fixtures/v1/", import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    test(`${file}: loads and trains on as the old code did (within float32 rounding)`, () => {
      const fixture = JSON.parse(readFileSync(new URL(file, dir), "utf8"));
      const net = new A2SNeuralNetwork().fromJSON(fixture.json);
      expect(net.options).toMatchObject(fixture.json.a2s);
      const bytes = new Uint8Array(Buffer.from(fixture.checkpoint, "base64"));
      expect(decodeCheckpoint(bytes).version).toBe(1);
      net.loadCheckpoint(bytes);
      expect(net.t).toBe(fixture.t);
      net.train(fixture.data, { iterations: fixture.iterationsAfter, errorThresh: 1e-6 });
      expect(net.t).toBe(fixture.tAfter);
      // The old code's fused loop kept float64 intermediates; brain's float32 layers now run
      // @a2s/typed's SIMD kernel, which rounds every operation to float32, so the weights
      // agree within the conformance suite's float32 tolerance rather than bit for bit.
      const weights = (value: unknown): number[] =>
        typeof value === "number"
          ? [value]
          : typeof value === "object" && value !== null
            ? Object.values(value).flatMap(weights)
            : [];
      const actual = weights(net.toJSON().layers);
      const expected = weights(fixture.layersAfter);
      expect(actual).toHaveLength(expected.length);
      const scale = Math.max(...expected.map(Math.abs));
      const worst = Math.max(...actual.map((x, i) => Math.abs(x - (expected[i] as number))));
      expect(worst / scale).toBeLessThanOrEqual(TOLERANCE.float32);
    });
  }
});
