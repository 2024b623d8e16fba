import { cosineDecaySchedule, type FloatArray, NonFiniteGradientError, TensorMismatchError } from "@a2s/core";
import * as typed from "@a2s/typed";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import { appendOptimizerStep } from "../src/append-step.js";
import { A2S, Adam } from "../src/optimizer.js";
import { STEP_NAMES } from "../src/step-names.js";
import { batch, FEATURES, feeds, linearModel } from "./linear-model.js";

const OPTIONS = {
  switchIter: 3,
  blendIters: 5,
  curvatureK: 0.5,
  clipNorm: 2,
  weightDecay: 0.01,
  lrAdam: cosineDecaySchedule({ initValue: 0.05, decaySteps: 20 }),
  lrSgd: 0.02,
};

const initial = (dtype: "float32" | "float64") => {
  const make = (values: number[]) =>
    dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
  return { W: make([0.1, -0.2, 0.3, 0.05, 0]), b: make([0.2]) };
};
const gradients = { W: "grad_W", b: "grad_b" };

describe("appendOptimizerStep", () => {
  for (const dtype of ["float64", "float32"] as const) {
    test(`on a hand-made linear model's gradient graph, ${dtype}: the same parameters as the standalone optimizer fed its gradients`, async () => {
      const model = linearModel({ dtype });
      const fusedOptimizer = new A2S(OPTIONS);
      const step = appendOptimizerStep(model, fusedOptimizer, { gradients, parameters: initial(dtype) });
      const standalone = new A2S(OPTIONS);
      const helper = appendOptimizerStep(model, new Adam(), { gradients, parameters: initial(dtype) });
      const params = initial(dtype);
      const losses: number[] = [];
      for (let t = 1; t <= 20; t++) {
        const data = feeds(batch(t, 16, dtype));
        const { loss } = await step.run(data);
        losses.push(loss?.data[0] as number);
        await helper.setParameters(params);
        const out = await helper.infer(model, data);
        await standalone.update(params, {
          W: out.grad_W?.data as FloatArray,
          b: out.grad_b?.data as FloatArray,
        });
      }
      // The same nodes on the same values in the same order: bit for bit.
      expect(step.parameters()).toEqual(params);
      expect(fusedOptimizer.t).toBe(20);
      expect(fusedOptimizer.diagnostics).toEqual(standalone.diagnostics);
      expect(await fusedOptimizer.saveCheckpoint()).toEqual(await standalone.saveCheckpoint());
      // And it learns: the rule is y = 0.5 + (k - 2) x_k.
      expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) / 4);
    });
  }

  test("the appended model takes and gives what STEP_NAMES names, and runs in a plain session", async () => {
    const step = appendOptimizerStep(linearModel({ dtype: "float64" }), new A2S(OPTIONS), {
      gradients,
      parameters: initial("float64"),
    });
    const session = await ort.InferenceSession.create(step.model());
    const unit = "W+b";
    expect(session.inputNames).toEqual(
      expect.arrayContaining(["x", "y", "W", "b", STEP_NAMES.slot(unit, "m"), STEP_NAMES.slot(unit, "prev")]),
    );
    expect(session.outputNames).toEqual(
      expect.arrayContaining([
        "loss",
        STEP_NAMES.newParam(unit),
        STEP_NAMES.newSlot(unit, "v"),
        STEP_NAMES.published("curvature"),
        STEP_NAMES.check,
      ]),
    );
    expect(session.outputNames).not.toContain("grad_W");
    // Fed by hand: the step's host values, zero state, the parameters twice (as the model's
    // inputs and as the unit's), the step lands where STEP_NAMES says.
    const data = feeds(batch(1, 16, "float64"));
    const scalar = (x: number) => new ort.Tensor("float64", Float64Array.of(x), []);
    const all: Record<string, ort.Tensor> = {
      x: new ort.Tensor("float64", data.x.data, data.x.dims),
      y: new ort.Tensor("float64", data.y.data, data.y.dims),
      W: new ort.Tensor("float64", initial("float64").W, [FEATURES]),
      b: new ort.Tensor("float64", initial("float64").b, [1]),
      [STEP_NAMES.param(unit)]: new ort.Tensor(
        "float64",
        Float64Array.of(...initial("float64").W, ...initial("float64").b),
        [6],
      ),
    };
    for (const name of session.inputNames) {
      if (name in all) continue;
      if (name.startsWith("state/")) all[name] = new ort.Tensor("float64", new Float64Array(6), [6]);
      else if (name.includes("firstStep")) all[name] = scalar(1);
      else all[name] = scalar(name.includes("oneMinusW") ? 0 : 1);
    }
    const out = await session.run(all);
    expect(Array.from(out[STEP_NAMES.newParam(unit)]?.data as Float64Array).every(Number.isFinite)).toBe(
      true,
    );
    expect(out[STEP_NAMES.newSlot(unit, "prev")]?.data).not.toEqual(new Float64Array(6));
    await session.release();
  });

  test("a parameter the model holds as an initializer becomes an input the step feeds", async () => {
    const parameters = initial("float32");
    const model = linearModel({ initializers: { W: parameters.W as Float32Array } });
    const optimizer = new Adam({ learningRate: 0.05 });
    const step = appendOptimizerStep(model, optimizer, { gradients, parameters });
    const first = await step.run(feeds(batch(1)));
    for (let t = 2; t <= 30; t++) await step.run(feeds(batch(t)));
    const last = await step.run(feeds(batch(31)));
    expect(last.loss?.data[0] as number).toBeLessThan((first.loss?.data[0] as number) / 4);
    expect(step.parameters().W).not.toEqual(parameters.W);
    expect(step.inputs).toEqual(["x", "y"]);
  });

  test("unawaited runs use each feed's contents at the call", async () => {
    const reference = appendOptimizerStep(linearModel(), new A2S(OPTIONS), {
      gradients,
      parameters: initial("float32"),
    });
    const step = appendOptimizerStep(linearModel(), new A2S(OPTIONS), {
      gradients,
      parameters: initial("float32"),
    });
    const x = new Float32Array(16 * FEATURES);
    const y = new Float32Array(16);
    const pending: Promise<unknown>[] = [];
    for (let t = 1; t <= 4; t++) {
      const data = batch(t);
      await reference.run(feeds(data));
      x.set(data.x);
      y.set(data.y);
      pending.push(step.run(feeds({ x, y })));
    }
    await Promise.all(pending);
    expect(step.parameters()).toEqual(reference.parameters());
  });

  test("a NaN in the model's input gives a non-finite gradient: refused, naming it, nothing changed", async () => {
    const optimizer = new A2S(OPTIONS);
    const step = appendOptimizerStep(linearModel(), optimizer, { gradients, parameters: initial("float32") });
    await step.run(feeds(batch(1)));
    const before = await optimizer.saveCheckpoint();
    const params = step.parameters();
    const bad = batch(2);
    bad.x[3 * FEATURES + 2] = Number.NaN;
    const error = await step.run(feeds(bad)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    // The NaN reaches every element of W's gradient through row 3's residual.
    expect(error).toMatchObject({ tensor: "W", index: 0 });
    expect(step.parameters()).toEqual(params);
    expect(await optimizer.saveCheckpoint()).toEqual(before);
  });

  test("bad models, options, parameters and feeds are refused with typed errors", async () => {
    const model = linearModel();
    const optimizer = new A2S();
    const parameters = initial("float32");
    const append = (options: Partial<Parameters<typeof appendOptimizerStep>[2]>, bytes = model) =>
      appendOptimizerStep(bytes, optimizer, { gradients, parameters, ...options });
    expect(() => appendOptimizerStep(Uint8Array.of(1, 2, 3), optimizer, { gradients, parameters })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "model" }),
    );
    const old = onnxProto.onnx.ModelProto.decode(model);
    old.opsetImport = [{ domain: "", version: 12 }];
    expect(() => append({}, onnxProto.onnx.ModelProto.encode(old).finish())).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "model" }),
    );
    expect(() => append({ gradients: { W: "grad_X", b: "grad_b" } })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "gradients.W" }),
    );
    expect(() => append({ gradients: { W: "grad_W", b: "loss" } })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "gradients.b" }),
    );
    expect(() => append({ outputs: ["nothing"] })).toThrow(expect.objectContaining({ option: "outputs" }));
    expect(() => append({ parameters: { W: parameters.W as FloatArray } })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "b", kind: "missing" }),
    );
    expect(() => append({ parameters: { ...parameters, W: new Float32Array(4) } })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "W", kind: "length" }),
    );
    expect(() => append({ parameters: { ...parameters, b: Float64Array.of(1) } })).toThrow(
      expect.objectContaining({ name: "TensorMismatchError", tensor: "b", kind: "dtype" }),
    );
    expect(() => appendOptimizerStep(model, new typed.A2S() as never, { gradients, parameters })).toThrow(
      expect.objectContaining({ name: "InvalidOptionError", option: "optimizer" }),
    );
    const step = append({});
    const data = feeds(batch(1));
    await expect(step.run({ x: data.x })).rejects.toMatchObject({ tensor: "y", kind: "missing" });
    await expect(step.run({ ...data, z: data.y })).rejects.toMatchObject({ tensor: "z", kind: "unexpected" });
    await expect(step.run({ ...data, x: { ...data.x, dims: [16, 4] } })).rejects.toBeInstanceOf(
      TensorMismatchError,
    );
    await expect(step.run({ ...data, y: { ...data.y, type: "float64" } })).rejects.toMatchObject({
      tensor: "y",
      kind: "type",
    });
    expect(optimizer.t).toBe(0);
  });
});
