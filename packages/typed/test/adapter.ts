/** The conformance suite's view of this package: one adapter per kernel. */
import type { AdapterDescription, HostTensor, OptimizerKind, OptimizerUnderTest } from "@a2s/conformance";
import {
  A2S,
  Adam,
  type FloatDType,
  type Kernel,
  RMSProp,
  SGDMomentum,
  type TensorRecord,
} from "../src/index.js";

type AnyOptimizer = A2S | Adam | RMSProp | SGDMomentum;

function make(kind: OptimizerKind, options: Record<string, number>, kernel: Kernel): AnyOptimizer {
  switch (kind) {
    case "A2S":
      return new A2S(options, { kernel });
    case "Adam":
      return new Adam(options, { kernel });
    case "RMSProp":
      return new RMSProp(options, { kernel });
    case "SGDMomentum":
      return new SGDMomentum(options, { kernel });
  }
}

const inDtype = (dtype: FloatDType, values: ArrayLike<number>) =>
  dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);

export function typedAdapter(kernel: Kernel): AdapterDescription {
  const raw = new WeakMap<OptimizerUnderTest, (grads: TensorRecord) => void>();
  return {
    name: `typed (${kernel})`,
    dtypes: ["float64", "float32"],
    kinds: ["A2S", "Adam", "RMSProp", "SGDMomentum"],
    create(kind, options, hostParams: Record<string, HostTensor>, dtype) {
      const optimizer = make(kind, options, kernel);
      const params: TensorRecord = Object.fromEntries(
        Object.entries(hostParams).map(([name, t]) => [name, inDtype(dtype, t.data)]),
      );
      const under: OptimizerUnderTest = {
        step(grads) {
          optimizer.update(
            params,
            Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, inDtype(dtype, g)])),
          );
        },
        read: () =>
          Object.fromEntries(Object.entries(params).map(([name, p]) => [name, Float64Array.from(p)])),
        save: () => optimizer.saveCheckpoint(),
        load: (bytes) => optimizer.loadCheckpoint(bytes),
        ...(optimizer instanceof A2S
          ? {
              diagnostics() {
                const d = optimizer.diagnostics;
                if (d === undefined) throw new Error("no step taken yet");
                return d;
              },
            }
          : {}),
      };
      raw.set(under, (grads) => optimizer.update(params, grads));
      return under;
    },
    stepRaw(optimizer, grads) {
      const step = raw.get(optimizer);
      if (step === undefined) throw new Error("not an optimizer of this adapter");
      step(grads);
    },
  };
}
