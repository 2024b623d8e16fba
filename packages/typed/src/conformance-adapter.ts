/**
 * This package as an `@a2s/conformance` adapter (import `@a2s/typed/conformance`; needs
 * `@a2s/conformance` installed). Other adapters use it as a peer in the state tier, so
 * that checkpoints are proven to cross between implementations both ways.
 */
import {
  type AdapterDescription,
  algorithmOf,
  type HostTensor,
  type OptimizerUnderTest,
} from "@a2s/conformance";
import type { FloatDType, TensorRecord } from "@a2s/core";
import { type Kernel, Optimizer } from "./optimizer.js";

const inDtype = (dtype: FloatDType, values: ArrayLike<number>) =>
  dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);

/**
 * The adapter description of this package for one kernel: float64 and float32, any
 * algorithm, and `stepRaw` for typed arrays of mixed dtypes.
 */
export function typedAdapter(kernel: Kernel = "simd"): AdapterDescription {
  const raw = new WeakMap<OptimizerUnderTest, (grads: TensorRecord) => void>();
  return {
    name: `typed (${kernel})`,
    dtypes: ["float64", "float32"],
    create(description, hostParams: Record<string, HostTensor>, dtype, settings) {
      const optimizer = new Optimizer(algorithmOf(description), { kernel, ...settings });
      const params: Record<string, Float32Array | Float64Array> = Object.fromEntries(
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
        diagnostics: () => optimizer.diagnostics,
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
