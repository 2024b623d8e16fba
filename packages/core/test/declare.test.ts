import { describe, expect, test } from "vitest";
import {
  type ArrayOps,
  a2s,
  allocateLike,
  CheckpointError,
  decodeCheckpoint,
  Engine,
  type EngineBackend,
  type FloatArray,
  InvalidOptionError,
} from "../src/index.js";

/**
 * Enough of a host backend for what runs before a step (declare, prepare, save, load):
 * none of these calls an array operation.
 */
const hostArrays: EngineBackend<FloatArray> = {
  ops: {} as ArrayOps<FloatArray>,
  zeros: (shape, dtype) =>
    allocateLike(
      dtype,
      shape.reduce((a, b) => a * b, 1),
    ),
  fromHost: (values) => values.slice(),
  toHost: (value) => value.slice(),
  assign: (target, value) => target.set(value),
};

const tensors = [
  { name: "weights.1", shape: [3, 2], dtype: "float32" as const },
  { name: "biases.1", shape: [3], dtype: "float32" as const },
];
const step = () =>
  tensors.map((info) => ({
    ...info,
    param: new Float32Array(info.shape.reduce((a, b) => a * b, 1)),
    grad: new Float32Array(info.shape.reduce((a, b) => a * b, 1)),
  }));

describe("Engine.declare", () => {
  test("fixes the tensor set: a checkpoint at t = 0 carries the shapes, one of other tensors is refused", () => {
    const engine = new Engine(a2s(), hostArrays);
    engine.declare(tensors);
    const saved = decodeCheckpoint(engine.save());
    expect(saved.t).toBe(0);
    expect(saved.tensors.map((t) => [t.name, t.shape])).toEqual([
      ["weights.1", [3, 2]],
      ["biases.1", [3]],
    ]);
    const other = new Engine(a2s(), hostArrays);
    other.declare([{ name: "weights.1", shape: [4, 2], dtype: "float32" }]);
    expect(() => engine.load(other.save())).toThrow(CheckpointError);
  });

  test("a group that takes no declared tensor is refused at the first update, not before", () => {
    const dead = a2s({ groups: [{ tensors: /^weights/, weightDecay: 0 }, { tensors: ["nothing"] }] });
    const engine = new Engine(dead, hostArrays);
    engine.declare(tensors);
    // Its checkpoint loads back (into a declared and into a fresh engine) ...
    const bytes = engine.save();
    engine.load(bytes);
    const fresh = new Engine(dead, hostArrays);
    fresh.load(bytes);
    // ... and each refuses the first update, naming the group.
    for (const subject of [engine, fresh]) {
      let caught: unknown;
      try {
        subject.prepare(step());
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidOptionError);
      expect(caught).toMatchObject({ option: "groups[1].tensors" });
    }
  });
});
