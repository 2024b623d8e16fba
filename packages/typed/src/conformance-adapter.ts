/**
 * This package as an `@a2s/conformance` adapter (import `@a2s/typed/conformance`; needs
 * `@a2s/conformance` installed). Other adapters use it as a peer in the state tier, so
 * that checkpoints are proven to cross between implementations both ways.
 */
import type { AdapterDescription, HostTensor, OptimizerKind, OptimizerUnderTest } from "@a2s/conformance";
import type { FloatDType } from "@a2s/core";
import { A2S } from "./a2s.js";
import { Adam, RMSProp, SGDMomentum } from "./baselines.js";
import type { Kernel, TensorRecord } from "./host-optimizer.js";

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

/**
 * The adapter description of this package for one kernel: float64 and float32, A2S and
 * the three baselines, diagnostics, and `stepRaw` for typed arrays of mixed dtypes.
 */
export function typedAdapter(kernel: Kernel = "fused"): AdapterDescription {
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
