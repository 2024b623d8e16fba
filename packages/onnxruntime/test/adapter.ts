/** The conformance suite's view of this package, on either runtime. */
import {
  type AdapterDescription,
  algorithmOf,
  type HostTensor,
  type OptimizerUnderTest,
  type TrainingRequest,
} from "@a2s/conformance";
import type { FloatDType, TensorRecord } from "@a2s/core";
import { Mlp } from "@a2s/mlp";
import { Optimizer } from "../src/optimizer.js";
import type { OnnxRuntime } from "../src/runtime.js";
import { createTrainer } from "../src/trainer.js";

const inDtype = (dtype: FloatDType, values: ArrayLike<number>) =>
  dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);

/**
 * The adapter description: any algorithm in float64 and float32, `stepRaw` for typed
 * arrays of mixed dtypes, and the training tier through the trainer. `runtime` is the
 * onnxruntime module to run on (default: the package's own choice, onnxruntime-node here).
 */
export function onnxAdapter(name: string, runtime?: OnnxRuntime): AdapterDescription {
  const raw = new WeakMap<OptimizerUnderTest, (grads: TensorRecord) => Promise<void>>();
  const withRuntime = runtime ? { runtime } : {};
  return {
    name,
    dtypes: ["float64", "float32"],
    create(description, hostParams: Record<string, HostTensor>, dtype, settings) {
      const optimizer = new Optimizer(algorithmOf(description), {
        ...withRuntime,
        ...settings,
        shapes: Object.fromEntries(Object.entries(hostParams).map(([key, t]) => [key, t.shape])),
      });
      const params: TensorRecord = Object.fromEntries(
        Object.entries(hostParams).map(([key, t]) => [key, inDtype(dtype, t.data)]),
      );
      const under: OptimizerUnderTest = {
        step: (grads) =>
          optimizer.update(
            params,
            Object.fromEntries(Object.entries(grads).map(([key, g]) => [key, inDtype(dtype, g)])),
          ),
        read: () => Object.fromEntries(Object.entries(params).map(([key, p]) => [key, Float64Array.from(p)])),
        save: () => optimizer.saveCheckpoint(),
        load: (bytes) => optimizer.loadCheckpoint(bytes),
        diagnostics: () => optimizer.diagnostics,
        dispose: () => optimizer.dispose(),
      };
      raw.set(under, (grads) => optimizer.update(params, grads));
      return under;
    },
    stepRaw(optimizer, grads) {
      const step = raw.get(optimizer);
      if (step === undefined) throw new Error("not an optimizer of this adapter");
      return step(grads);
    },
    async train(request: TrainingRequest): Promise<number> {
      const trainer = createTrainer({
        model: { params: new Mlp({ seed: request.seed }).params },
        optimizer: new Optimizer(algorithmOf(request.optimizer), withRuntime),
      });
      try {
        for (const { x, y } of request.batches) await trainer.trainStep(x, y);
        return await trainer.evaluate(request.test.x, request.test.y);
      } finally {
        await trainer.dispose();
      }
    },
  };
}
