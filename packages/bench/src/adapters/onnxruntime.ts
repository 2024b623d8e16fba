/**
 * Rows for @a2s/onnxruntime: its A2S and Adam optimizer graphs run by onnxruntime-node,
 * and its trainer (the MLP's training graph with the optimizer step fused in).
 */
import type { Kind } from "../results.js";
import { stepInputs } from "../shapes.js";
import { checkpointStateSize } from "../state-size.js";
import type { AdapterSet, Stepper, TensorShapes, Trainer } from "./types.js";

export async function loadOnnxruntime(): Promise<AdapterSet> {
  const ort = await import("@a2s/onnxruntime");
  const makeOptimizer = (kind: Kind, shapes?: TensorShapes) => {
    const config = shapes ? { shapes: shapes as Record<string, readonly number[]> } : {};
    return kind === "A2S" ? new ort.A2S({}, config) : new ort.Adam({}, config);
  };
  return {
    steppers: [
      {
        name: "onnxruntime",
        async make(kind, shapes): Promise<Stepper> {
          const optimizer = makeOptimizer(kind, shapes);
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
      },
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
    ],
  };
}
