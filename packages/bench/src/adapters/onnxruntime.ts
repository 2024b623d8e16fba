/**
 * Rows for @a2s/onnxruntime: its A2S and Adam optimizer graphs run by onnxruntime-node,
 * and its two trainers: the MLP's training graph with the optimizer step fused in
 * (`createTrainer`), and the training graph for the gradients with the step taken on the
 * host by @a2s/typed's SIMD kernels (`createHostStepTrainer`).
 *
 * A2S with the seed's defaults spends its first 1500 steps with the blend weight at 1,
 * where its graph leaves the unused SGD step out (host values exactly 0 or 1 are folded
 * in); a second row times it in the blend, where the whole step runs.
 */
import type { A2SOptions } from "@a2s/onnxruntime";
import type { Kind } from "../results.js";
import { stepInputs } from "../shapes.js";
import { checkpointStateSize } from "../state-size.js";
import type { AdapterSet, StepAdapter, Stepper, TensorShapes, Trainer } from "./types.js";

/** The training row of `createHostStepTrainer` with @a2s/typed's optimizers (their default, SIMD, kernel). */
export const ONNX_HOST_STEP_ROW = "onnxruntime, step on the host (typed simd)";

export async function loadOnnxruntime(): Promise<AdapterSet> {
  const ort = await import("@a2s/onnxruntime");
  const makeOptimizer = (kind: Kind, shapes?: TensorShapes, a2sOptions: Partial<A2SOptions> = {}) => {
    const config = shapes ? { shapes: shapes as Record<string, readonly number[]> } : {};
    return kind === "A2S" ? new ort.A2S(a2sOptions, config) : new ort.Adam({}, config);
  };
  const stepper = (name: string, a2sOptions: Partial<A2SOptions>, variant: boolean): StepAdapter => ({
    name,
    ...(variant ? { variant } : {}),
    takesOptions: true,
    async make(kind, shapes, options = {}): Promise<Stepper> {
      const optimizer = makeOptimizer(kind, shapes, { ...a2sOptions, ...options });
      const { params, grads } = stepInputs(shapes);
      let turn = 0;
      // The first update builds the graph and its session; the bench times steps, not that.
      await optimizer.update(params, grads[1]);
      return {
        async: true,
        step() {
          turn ^= 1;
          return optimizer.update(params, grads[turn] as Record<string, Float32Array>);
        },
        stateSize: async () => checkpointStateSize(await optimizer.saveCheckpoint()),
        dispose: () => optimizer.dispose(),
      };
    },
  });
  return {
    steppers: [
      stepper("onnxruntime", {}, false),
      // The blend weight falls from 1 towards 0 over a million steps: never exactly 0 or 1.
      stepper("onnxruntime (blend phase)", { switchIter: 0, blendIters: 1_000_000 }, true),
    ],
    trainers: [
      {
        name: "onnxruntime",
        async make(kind, seed): Promise<Trainer> {
          const { Mlp } = await import("@a2s/mlp");
          const trainer = ort.createTrainer({
            model: { params: new Mlp({ seed }).params },
            optimizer: makeOptimizer(kind),
          });
          return {
            step: (x, y) => trainer.trainStep(x, y),
            accuracy: (x, y) => trainer.evaluate(x, y),
            dispose: () => trainer.dispose(),
          };
        },
      },
      {
        name: ONNX_HOST_STEP_ROW,
        async make(kind, seed): Promise<Trainer> {
          const [{ Mlp }, typed] = await Promise.all([import("@a2s/mlp"), import("@a2s/typed")]);
          const trainer = ort.createHostStepTrainer({
            model: { params: new Mlp({ seed }).params },
            optimizer: kind === "A2S" ? new typed.A2S() : new typed.Adam(),
          });
          return {
            step: (x, y) => trainer.trainStep(x, y),
            accuracy: (x, y) => trainer.evaluate(x, y),
            dispose: () => trainer.dispose(),
          };
        },
      },
    ],
  };
}
