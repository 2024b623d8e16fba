import { describe, expect, test } from "vitest";
import {
  A2S,
  ADAM_DEFAULTS,
  Adam,
  CheckpointError,
  type Kernel,
  NonFiniteGradientError,
  RMSPROP_DEFAULTS,
  RMSProp,
  SGD_MOMENTUM_DEFAULTS,
  SGDMomentum,
  type TensorRecord,
} from "../src/index.js";
import { gradients, makeParams } from "./helpers.js";

const makers = {
  Adam: (kernel: Kernel) => new Adam({ learningRate: 0.01 }, { kernel }),
  RMSProp: (kernel: Kernel) => new RMSProp({ learningRate: 0.01, decay: 0.8 }, { kernel }),
  SGDMomentum: (kernel: Kernel) => new SGDMomentum({ learningRate: 0.02, momentum: 0.7 }, { kernel }),
};
type Name = keyof typeof makers;
const names = Object.keys(makers) as Name[];

function trajectory(name: Name, kernel: Kernel, dtype: "float32" | "float64", steps = 30): TensorRecord {
  const params = makeParams(dtype);
  const optimizer = makers[name](kernel);
  for (let step = 1; step <= steps; step++) optimizer.update(params, gradients(params, step));
  return params;
}

describe("baselines", () => {
  test.each(
    names,
  )("%s: the fused loop equals core's formulas (generic kernel) bit for bit in float64", (name) => {
    expect(trajectory(name, "fused", "float64")).toEqual(trajectory(name, "generic", "float64"));
  });

  test.each(names)("%s: in float32 the fused loop stays within 1e-6 of the generic kernel", (name) => {
    const fused = trajectory(name, "fused", "float32");
    const generic = trajectory(name, "generic", "float32");
    for (const key of Object.keys(fused)) {
      const a = fused[key] as Float32Array;
      const b = generic[key] as Float32Array;
      // 30 steps of per-operation float32 rounding (6e-8 each) in the generic kernel.
      for (let i = 0; i < a.length; i++)
        expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(1e-6);
    }
  });

  test.each(["fused", "generic"] as const)("first steps by hand (%s)", (kernel) => {
    const g = 0.5;
    const adam = { x: Float64Array.of(1) };
    new Adam({}, { kernel }).update(adam, { x: Float64Array.of(g) });
    // m = 0.1 g, v = 0.001 g^2: the bias-corrected step is lr * g / (|g| + eps).
    expect(adam.x[0]).toBeCloseTo(1 - (0.001 * g) / (g + 1e-8), 15);

    const rms = { x: Float64Array.of(1) };
    new RMSProp({}, { kernel }).update(rms, { x: Float64Array.of(g) });
    expect(rms.x[0]).toBeCloseTo(1 - (0.001 * g) / (Math.sqrt(0.1 * g * g) + 1e-8), 15);

    const sgd = { x: Float64Array.of(1) };
    const momentum = new SGDMomentum({}, { kernel });
    momentum.update(sgd, { x: Float64Array.of(g) });
    momentum.update(sgd, { x: Float64Array.of(2 * g) });
    expect(sgd.x[0]).toBeCloseTo(1 - 0.01 * g - 0.01 * (0.9 * g + 2 * g), 15);
  });

  test("defaults are the documented ones", () => {
    expect(new Adam().options).toEqual(ADAM_DEFAULTS);
    expect(new RMSProp().options).toEqual(RMSPROP_DEFAULTS);
    expect(new SGDMomentum().options).toEqual(SGD_MOMENTUM_DEFAULTS);
  });

  test.each(names)("%s: a NaN gradient changes nothing", (name) => {
    const params = makeParams("float64");
    const optimizer = makers[name]("fused");
    optimizer.update(params, gradients(params, 1));
    const saved = optimizer.saveCheckpoint();
    const grads = gradients(params, 2);
    (grads.s as Float64Array)[0] = Number.NaN;
    const before = structuredClone(params);
    expect(() => optimizer.update(params, grads)).toThrow(NonFiniteGradientError);
    expect(params).toEqual(before);
    expect(optimizer.saveCheckpoint()).toEqual(saved);
  });

  test.each(names)("%s: checkpoints round-trip and refuse another algorithm", (name) => {
    const params = makeParams("float64");
    const optimizer = makers[name]("fused");
    for (let step = 1; step <= 4; step++) optimizer.update(params, gradients(params, step));
    const bytes = optimizer.saveCheckpoint();
    const copy = {
      Adam: () => Adam.fromCheckpoint(bytes),
      RMSProp: () => RMSProp.fromCheckpoint(bytes),
      SGDMomentum: () => SGDMomentum.fromCheckpoint(bytes),
    }[name]();
    expect(copy.t).toBe(4);
    expect(copy.options).toEqual(optimizer.options);
    expect(copy.saveCheckpoint()).toEqual(bytes);
    expect(() => new A2S().loadCheckpoint(bytes)).toThrow(CheckpointError);
  });
});
