/** The conformance suite's view of this package. */
import type {
  AdapterDescription,
  HostTensor,
  OptimizerKind,
  OptimizerUnderTest,
  TrainingRequest,
} from "@a2s/conformance";
import type { FloatDType, StepDiagnostics } from "@a2s/core";
import { Mlp } from "@a2s/mlp";
import { A2S, Adam, RMSProp, SGDMomentum } from "../src/optimizers.js";
import { createTrainer } from "../src/trainer.js";

type Record32or64 = Record<string, Float32Array | Float64Array>;

/** What this package's optimizers offer. */
interface HostLikeOptimizer {
  update(params: Record32or64, grads: Record32or64): Promise<void>;
  saveCheckpoint(): Uint8Array;
  loadCheckpoint(bytes: Uint8Array): void;
  readonly diagnostics?: StepDiagnostics | undefined;
  dispose?(): Promise<void>;
}

const ONNX = { A2S, Adam, RMSProp, SGDMomentum };

const inDtype = (dtype: FloatDType, values: ArrayLike<number>) =>
  dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);

function describeHost(
  name: string,
  make: (kind: OptimizerKind, options: Record<string, number>) => HostLikeOptimizer,
  train: (request: TrainingRequest) => Promise<number>,
): AdapterDescription {
  const raw = new WeakMap<OptimizerUnderTest, (grads: Record32or64) => Promise<void>>();
  return {
    name,
    dtypes: ["float64", "float32"],
    kinds: ["A2S", "Adam", "RMSProp", "SGDMomentum"],
    create(kind, options, hostParams: Record<string, HostTensor>, dtype) {
      const optimizer = make(kind, options);
      const params: Record32or64 = Object.fromEntries(
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
        dispose: () => optimizer.dispose?.(),
        ...(kind === "A2S"
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
      return step(grads);
    },
    train,
  };
}

/** The training tier's runs, through the fused trainer. */
async function trainMnist(request: TrainingRequest): Promise<number> {
  const trainer = createTrainer({
    model: { params: new Mlp({ seed: request.seed }).params },
    optimizer: new ONNX[request.kind](request.options),
  });
  try {
    for (const { x, y } of request.batches) await trainer.trainStep(x, y);
    return await trainer.evaluate(request.test.x, request.test.y);
  } finally {
    await trainer.dispose();
  }
}

export const onnxAdapter = describeHost(
  "onnxruntime",
  (kind, options) => new ONNX[kind](options),
  trainMnist,
);
