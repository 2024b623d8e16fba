import type { TensorRecord } from "@a2s/core";
import { afterEach, describe, expect, test, vi } from "vitest";
import { A2S, Adam } from "../src/optimizer.js";
import { NO_PINS, PinChooser, type Pins, pinKey } from "../src/pins.js";
import type { HostInput } from "../src/step-recording.js";

const host = (key: string, value: (t: number) => number): HostInput => ({ key, input: `step/${key}`, value });

describe("which host values a recording pins", () => {
  // Work falls by 10 for each pinned value but "flag", whose pinning saves nothing.
  const workOf = (pins: Pins) => 100 - 10 * [...pins.keys()].filter((key) => key !== "flag").length;
  const inputs = [
    host("w", (t) => (t <= 2000 ? 1 : Math.max(0, 1 - (t - 2000) / 10))),
    host("flag", (t) => (t === 1 ? 1 : 0)),
    host("lr", () => 0.01),
    host("soon", (t) => (t < 50 ? 1 : 0.5)),
    host("risky", (t) => {
      if (t > 500) throw new RangeError("out of range");
      return 0;
    }),
  ];
  const at = (t: number) => inputs.map((h) => h.value(t));

  test("a value exactly 0 or 1 for the horizon that saves work is pinned; one that changes soon, throws later or saves nothing is not", () => {
    const pins = new PinChooser(inputs, "float64", workOf).choose(1, at(1), NO_PINS);
    expect(pinKey(pins)).toBe("w=1");
  });

  test("a pinned value is dropped at the first step it no longer holds, and one newly 0 for the horizon is pinned", () => {
    const lasting = inputs.slice(0, 3);
    const c = new PinChooser(lasting, "float64", workOf);
    const valuesAt = (t: number) => lasting.map((h) => h.value(t));
    let pins = c.choose(1, valuesAt(1), NO_PINS);
    for (let t = 2; t <= 2000; t++) {
      const next = c.choose(t, valuesAt(t), pins);
      // Nothing changes while w holds: the same object comes back.
      expect(next).toBe(pins);
      pins = next;
    }
    pins = c.choose(2001, valuesAt(2001), pins);
    expect(pinKey(pins)).toBe("");
    expect(pinKey(c.choose(2010, valuesAt(2010), pins))).toBe("w=0");
  });

  test("in float32 a value that rounds to 1 counts as 1", () => {
    const nearlyOne = [host("bc", (t) => 1 - 0.9 ** t)];
    const c = new PinChooser(nearlyOne, "float32", (pins) => 10 - pins.size);
    expect(pinKey(c.choose(100, [1 - 0.9 ** 100], NO_PINS))).toBe("");
    expect(pinKey(c.choose(200, [1 - 0.9 ** 200], NO_PINS))).toBe("bc=1");
    expect(
      pinKey(
        new PinChooser(nearlyOne, "float64", (pins) => 10 - pins.size).choose(200, [1 - 0.9 ** 200], NO_PINS),
      ),
    ).toBe("");
  });
});

describe("a graph with pinned values takes the steps the graph with none takes", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Parameters after `steps` steps of `make()` on a fixed sequence of gradients. */
  async function trajectory(make: () => A2S | Adam, dtype: "float32" | "float64", steps: number) {
    const like = (values: number[]) =>
      dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values);
    const params: TensorRecord = { W: like([0.5, -1.5, 2, 0.25, -0.75, 1]), b: like([0.1, -0.2, 0.3]) };
    const optimizer = make();
    for (let step = 1; step <= steps; step++) {
      const grads = Object.fromEntries(
        Object.entries(params).map(([name, p]) => [
          name,
          like(Array.from(p, (x, i) => 0.1 * x + 0.05 * Math.sin(step * (i + 1)))),
        ]),
      );
      await optimizer.update(params, grads);
    }
    const result = {
      params,
      diagnostics: optimizer.diagnostics,
      checkpoint: await optimizer.saveCheckpoint(),
    };
    await optimizer.dispose();
    return result;
  }

  for (const dtype of ["float32", "float64"] as const) {
    test(`A2S through its Adam phase, the blend and its SGD phase, and Adam past the first bias correction's 1, ${dtype}: bit for bit`, async () => {
      const steps = 1020;
      const makeA2S = () => new A2S({ switchIter: 1003, blendIters: 4 });
      const makeAdam = () => new Adam();
      const chosen = vi.spyOn(PinChooser.prototype, "choose");
      const pinned = [await trajectory(makeA2S, dtype, steps), await trajectory(makeAdam, dtype, 400)];
      // The runs did pin: w in both pure phases, the first bias correction once it is 1.
      const keys = new Set(chosen.mock.results.map((result) => pinKey(result.value as Pins)));
      expect(keys).toContain("2.oneMinusW#0=0,2.w#0=1");
      expect(keys).toContain("2.oneMinusW#0=1,2.w#0=0,3.0.biasCorrection1#0=1");
      expect([...keys].some((key) => key.startsWith("1.biasCorrection1#0=1"))).toBe(true);
      chosen.mockRestore();
      const choose = vi
        .spyOn(PinChooser.prototype, "choose")
        .mockImplementation((_t, _values, current) => current);
      const generic = [await trajectory(makeA2S, dtype, steps), await trajectory(makeAdam, dtype, 400)];
      expect(choose).toHaveBeenCalled();
      expect(pinned).toEqual(generic);
    });
  }
});
