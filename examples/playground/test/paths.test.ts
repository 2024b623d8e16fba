import { A2S, Adam, SGDMomentum } from "@a2s/typed";
import { describe, expect, it } from "vitest";
import { optimizerPath } from "../src/paths.js";
import { TEST_FUNCTIONS } from "../src/test-functions.js";

describe.each(Object.values(TEST_FUNCTIONS))("$label", (fn) => {
  it("has the gradient of its value (central differences)", () => {
    const h = 1e-6;
    for (const [x, y] of [
      [-1.2, 1],
      [0.3, -0.7],
      [2, 0.5],
    ] as const) {
      const [gx, gy] = fn.gradient(x, y);
      const dx = (fn.value(x + h, y) - fn.value(x - h, y)) / (2 * h);
      const dy = (fn.value(x, y + h) - fn.value(x, y - h)) / (2 * h);
      // Central differences are accurate to about h^2 times the third derivative.
      expect(Math.abs(gx - dx)).toBeLessThan(1e-4 * Math.max(1, Math.abs(dx)));
      expect(Math.abs(gy - dy)).toBeLessThan(1e-4 * Math.max(1, Math.abs(dy)));
    }
    expect(fn.value(...fn.minimum)).toBe(0);
    expect(fn.gradient(...fn.minimum).map(Math.abs)).toEqual([0, 0]);
  });

  it("the suggested settings take every optimizer most of the way to the minimum", () => {
    const s = fn.suggested;
    const start = fn.value(...s.start);
    for (const optimizer of [new A2S(s.a2s), new Adam(s.adam), new SGDMomentum(s.sgd)]) {
      const path = optimizerPath(fn, s.start, s.steps, optimizer);
      expect(path.diverged).toBe(false);
      expect(path.points).toHaveLength(2 * (s.steps + 1));
      expect(Array.from(path.points.subarray(0, 2))).toEqual([...s.start]);
      const end = fn.value(path.points[2 * s.steps] as number, path.points[2 * s.steps + 1] as number);
      expect(end).toBeLessThan(0.1 * start);
    }
  });
});

describe("optimizerPath", () => {
  it("is the sequence of points that update() leaves", () => {
    const fn = TEST_FUNCTIONS.rosenbrock;
    const path = optimizerPath(fn, [-1.2, 1], 3, new Adam({ learningRate: 0.1 }));
    const replay = new Adam({ learningRate: 0.1 });
    const xy = Float64Array.of(-1.2, 1);
    for (let step = 1; step <= 3; step++) {
      replay.update({ xy }, { xy: Float64Array.from(fn.gradient(xy[0] as number, xy[1] as number)) });
      expect(Array.from(path.points.subarray(2 * step, 2 * step + 2))).toEqual(Array.from(xy));
    }
  });

  it("stops where the point runs off to infinity and says so", () => {
    const fn = TEST_FUNCTIONS.beale;
    const path = optimizerPath(fn, [-1, -1], 500, new SGDMomentum({ learningRate: 0.5 }));
    expect(path.diverged).toBe(true);
    expect(path.steps).toBeLessThan(500);
    expect(path.points).toHaveLength(2 * (path.steps + 1));
    expect(Array.from(path.points).every(Number.isFinite)).toBe(true);
  });
});
