import { loadMnist, mulberry32, subset } from "@a2s/mnist";
import { beforeAll, describe, expect, it } from "vitest";
import { Mlp, PARAM_NAMES } from "../src/model.js";
import { logSumExp } from "../src/softmax.js";

let batchX: Float32Array;
let batchY: Uint8Array;
beforeAll(async () => {
  const { train } = await loadMnist();
  const part = subset(train, 0, 64);
  batchX = part.images;
  batchY = part.labels;
});

describe("initialisation", () => {
  it("is He-normal from the seed, with zero biases", () => {
    const a = new Mlp({ seed: 5 });
    expect(new Mlp({ seed: 5 }).params).toEqual(a.params);
    expect(new Mlp({ seed: 6 }).params.W1).not.toEqual(a.params.W1);
    for (const [name, fanIn] of [
      ["W1", 784],
      ["W2", 128],
      ["W3", 64],
    ] as const) {
      const w = a.params[name];
      let squares = 0;
      for (const x of w) squares += x * x;
      // The sample std of n normals is within ~1/sqrt(2n) relative of the true one: 640 weights
      // (W3) give 2.8%, so 10% is over 3 sigma for every layer.
      expect(Math.sqrt(squares / w.length) / Math.sqrt(2 / fanIn)).toBeGreaterThan(0.9);
      expect(Math.sqrt(squares / w.length) / Math.sqrt(2 / fanIn)).toBeLessThan(1.1);
    }
    for (const name of ["b1", "b2", "b3"] as const) expect(a.params[name].every((x) => x === 0)).toBe(true);
    expect(PARAM_NAMES.map((n) => a.params[n].length)).toEqual([784 * 128, 128, 128 * 64, 64, 64 * 10, 10]);
  });
});

describe("gradients", () => {
  it("match central finite differences in float64", () => {
    const model = new Mlp({ seed: 1, dtype: "float64", maxBatch: 8 });
    const x = batchX.subarray(0, 8 * 784);
    const y = batchY.subarray(0, 8);
    model.forward(x);
    const grads = model.backward(y);
    const analytic = Object.fromEntries(PARAM_NAMES.map((n) => [n, grads[n].slice()]));
    const lossAt = () => {
      model.forward(x);
      return model.loss(y);
    };
    const pick = mulberry32(9);
    // h = 1e-6 in float64: truncation error ~h^2 and rounding ~1e-16 * loss / h ~ 1e-10, so an
    // absolute 1e-8 leaves room; a wrong gradient is off by O(|gradient|) ~ 1e-3 or more.
    const h = 1e-6;
    let checked = 0;
    for (const name of PARAM_NAMES) {
      const p = model.params[name];
      const g = analytic[name] as Float64Array;
      // The largest entries (the ones that matter, and never zero by a dead ReLU) plus random ones.
      const indices = new Set<number>([largest(g)]);
      while (indices.size < Math.min(12, p.length)) indices.add(Math.floor(pick() * p.length));
      for (const i of indices) {
        const keep = p[i] as number;
        p[i] = keep + h;
        const up = lossAt();
        p[i] = keep - h;
        const down = lossAt();
        p[i] = keep;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(numeric - (g[i] as number)), `${name}[${i}]`).toBeLessThan(1e-8);
        checked++;
      }
      expect(Math.abs(g[largest(g)] as number), name).toBeGreaterThan(1e-4);
    }
    expect(checked).toBe(5 * 12 + 10);
  });

  it("in float32 agree with float64 ones for the same weights", () => {
    const f64 = new Mlp({ seed: 2, dtype: "float64" });
    const f32 = new Mlp({ seed: 2 });
    f64.forward(batchX);
    f32.forward(batchX);
    expect(f32.loss(batchY)).toBeCloseTo(f64.loss(batchY), 5);
    const g64 = f64.backward(batchY);
    const g32 = f32.backward(batchY);
    for (const name of PARAM_NAMES) {
      const scale = Math.abs(g64[name][largest(g64[name])] as number);
      let worst = 0;
      for (let i = 0; i < g64[name].length; i++) {
        worst = Math.max(worst, Math.abs((g32[name][i] as number) - (g64[name][i] as number)));
      }
      // Float32 rounds each of up to 784 products and sums at ~6e-8 relative; weights are rounded
      // too. 1e-4 of the tensor's largest gradient is far above that and far below a real error.
      expect(worst / scale, name).toBeLessThan(1e-4);
    }
  });
});

describe("loss and prediction", () => {
  it("log-sum-exp stays finite for huge logits", () => {
    expect(logSumExp(Float64Array.from([1000, 1000]), 0, 2)).toBeCloseTo(1000 + Math.LN2, 10);
    expect(logSumExp(Float32Array.from([-1e30, 0]), 0, 2)).toBe(0);
  });

  it("starts near log(10) and falls when trained by plain SGD", () => {
    const model = new Mlp({ seed: 3 });
    model.forward(batchX);
    const start = model.loss(batchY);
    // He-normal logits are not all zero, so the start is near, not at, ln 10 = 2.30.
    expect(start).toBeGreaterThan(1.5);
    expect(start).toBeLessThan(4);
    for (let step = 0; step < 30; step++) {
      model.forward(batchX);
      const grads = model.backward(batchY);
      for (const name of PARAM_NAMES) {
        const p = model.params[name];
        const g = grads[name];
        for (let i = 0; i < p.length; i++) p[i] = (p[i] as number) - 0.1 * (g[i] as number);
      }
    }
    model.forward(batchX);
    expect(model.loss(batchY)).toBeLessThan(0.2 * start);
    expect(model.accuracy(batchX, batchY)).toBeGreaterThan(0.95);
  });

  it("evaluates in chunks exactly as batch by batch", () => {
    const model = new Mlp({ seed: 4, maxBatch: 24 });
    const x = batchX.subarray(0, 50 * 784);
    const y = batchY.subarray(0, 50);
    const predicted = model.predict(x);
    let correct = 0;
    let loss = 0;
    for (let start = 0; start < 50; start += 24) {
      const rows = Math.min(24, 50 - start);
      model.forward(x.subarray(start * 784, (start + rows) * 784));
      loss += model.loss(y.subarray(start, start + rows)) * rows;
      for (let i = 0; i < rows; i++) if (predicted[start + i] === y[start + i]) correct++;
    }
    const result = model.evaluate(x, y);
    expect(result.accuracy).toBe(correct / 50);
    expect(result.loss).toBeCloseTo(loss / 50, 6);
  });

  it("reuses its buffers from step to step", () => {
    const model = new Mlp({ seed: 0 });
    const logits = model.forward(batchX);
    const grads = model.backward(batchY);
    expect(model.forward(batchX).buffer).toBe(logits.buffer);
    expect(model.backward(batchY)).toBe(grads);
    expect(model.grads.W1).toBe(grads.W1);
  });
});

describe("bad input", () => {
  it("refuses batches of the wrong size and bad labels", () => {
    const model = new Mlp({ maxBatch: 4 });
    expect(() => model.loss([1])).toThrow(/forward before/);
    expect(() => model.forward(new Float32Array(783))).toThrow(/783 values/);
    expect(() => model.forward(new Float32Array(5 * 784))).toThrow(/1\.\.4 rows/);
    model.forward(new Float32Array(2 * 784));
    expect(() => model.backward([1])).toThrow(/1 labels for a batch of 2/);
    expect(() => model.backward([1, 10])).toThrow(/label 10 at index 1/);
    expect(() => model.evaluate(new Float32Array(784), new Uint8Array(2))).toThrow(/2 labels for 1 images/);
    expect(() => new Mlp({ maxBatch: 0 })).toThrow(/maxBatch/);
  });
});

function largest(g: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < g.length; i++) if (Math.abs(g[i] as number) > Math.abs(g[best] as number)) best = i;
  return best;
}
