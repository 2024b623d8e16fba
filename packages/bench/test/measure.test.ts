import { describe, expect, it } from "vitest";
import { median, timeSideBySide } from "../src/measure.js";

describe("median", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it("refuses an empty list", () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe("timeSideBySide", () => {
  const plan = { rounds: 3, iterations: 4, time: 0, warmupIterations: 2, warmupTime: 0 };

  it("times every task in every round, after warm-up, and keeps the tasks' order", async () => {
    const calls = [0, 0];
    const timings = await timeSideBySide(
      [
        { run: () => calls[0]!++, async: false },
        { run: () => calls[1]!++, async: false },
      ],
      plan,
    );
    expect(timings).toHaveLength(2);
    for (const [i, timing] of timings.entries()) {
      // Each round times at least `iterations` calls and warms up with more.
      expect(timing.samples).toBeGreaterThanOrEqual(plan.rounds * plan.iterations);
      expect(calls[i]).toBeGreaterThan(timing.samples);
      expect(timing.ms).toBeGreaterThanOrEqual(0);
    }
  });

  it("awaits an async task before calling it again", async () => {
    let inFlight = 0;
    let most = 0;
    const run = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
    };
    await timeSideBySide([{ run, async: true }], plan);
    expect(most).toBe(1);
  });

  it("passes a task's error on", async () => {
    const failing = {
      run: () => {
        throw new Error("kernel exploded");
      },
      async: false,
    };
    await expect(timeSideBySide([failing], plan)).rejects.toThrow("kernel exploded");
  });
});
