import { encodeCheckpoint } from "@a2s/core";
import { describe, expect, it } from "vitest";
import { checkpointStateSize } from "../src/state-size.js";

describe("checkpointStateSize", () => {
  it("adds up the bytes of every slot of every tensor", () => {
    const bytes = encodeCheckpoint({
      algorithm: "A2S",
      options: {},
      t: 1,
      scalars: {},
      tensors: [
        { name: "a", shape: [3], slots: { m: new Float32Array(3), v: new Float32Array(3) } },
        { name: "b", shape: [5], slots: { m: new Float32Array(5), v: new Float32Array(5) } },
      ],
    });
    expect(checkpointStateSize(bytes)).toEqual({ bytes: 64, bytesPerElement: 4, source: "checkpoint slots" });
  });
});
