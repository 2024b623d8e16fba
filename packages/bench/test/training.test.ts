import type { Mnist } from "@a2s/mnist";
import { describe, expect, it } from "vitest";
import type { TrainAdapter } from "../src/adapters/types.js";
import { trainingRows } from "../src/training.js";

/** A tiny stand-in for MNIST: 640 blank training images (10 batches), 10 test images. */
function tinyMnist(): Mnist {
  const split = (count: number) => ({
    images: new Float32Array(count * 784),
    labels: new Uint8Array(count),
    count,
  });
  return { train: split(640), test: split(10) };
}

function counting(log: string[], extra: Partial<TrainAdapter> = {}): TrainAdapter {
  return {
    name: "fake",
    ...extra,
    make: async (kind) => ({
      step: (x: Float32Array, y: Uint8Array) => {
        log.push(`${kind} ${x.length / 784} ${y.length}`);
      },
      accuracy: () => 0.5,
      dispose: () => {
        log.push(`${kind} disposed`);
      },
    }),
  };
}

describe("trainingRows", () => {
  it("runs the planned steps on batches of 64, times all but the first, and scales to 938", async () => {
    const log: string[] = [];
    const rows = await trainingRows(counting(log), tinyMnist(), 5, () => {});
    expect(rows.map((r) => [r.kind, r.measuredSteps, r.testAccuracy])).toEqual([
      ["A2S", 4, 0.5],
      ["Adam", 4, 0.5],
    ]);
    expect(log.filter((l) => l === "A2S 64 64")).toHaveLength(5);
    expect(log).toContain("Adam disposed");
    for (const row of rows) {
      expect(row.secondsPerEpoch).toBeGreaterThanOrEqual(0);
      expect(row.cpuSecondsPerEpoch).toBeGreaterThanOrEqual(0);
    }
  });

  it("stops at an adapter's own step cap", async () => {
    const log: string[] = [];
    const rows = await trainingRows(counting(log, { maxSteps: 3 }), tinyMnist(), 938, () => {});
    expect(rows[0]?.measuredSteps).toBe(2);
    expect(log.filter((l) => l.startsWith("A2S 64"))).toHaveLength(3);
  });

  it("stops at the end of the epoch when asked for more steps than it has", async () => {
    const rows = await trainingRows(counting([]), tinyMnist(), 938, () => {});
    expect(rows[0]?.measuredSteps).toBe(9);
  });

  it("records a failing trainer as a row that says why", async () => {
    const broken: TrainAdapter = {
      name: "broken",
      make: async () => {
        throw new Error("no backend");
      },
    };
    const rows = await trainingRows(broken, tinyMnist(), 5, () => {});
    expect(rows.map((r) => r.note)).toEqual(["failed: no backend", "failed: no backend"]);
  });
});
