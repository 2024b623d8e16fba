/**
 * @a2s/onnxruntime's trainer: the MLP's forward, loss, backward and the optimizer step in
 * one onnxruntime graph run per batch.
 */
import { A2S, Adam, createTrainer, RMSProp, SGDMomentum } from "@a2s/onnxruntime";
import type { ExperimentAdapter, OptimizerKind } from "../adapter.js";

function makeOptimizer(kind: OptimizerKind, options: Record<string, number>) {
  switch (kind) {
    case "A2S":
      return new A2S(options);
    case "Adam":
      return new Adam(options);
    case "RMSProp":
      return new RMSProp(options);
    case "SGDMomentum":
      return new SGDMomentum(options);
  }
}

const onnxruntime: ExperimentAdapter = {
  name: "onnxruntime",
  createRun({ kind, options, initialParams }) {
    const optimizer = makeOptimizer(kind, options);
    // The trainer copies the initial weights into buffers of its own.
    const trainer = createTrainer({ model: { params: initialParams }, optimizer });
    return {
      step: (x, y) => trainer.trainStep(x, y),
      evaluate: (x, y) => trainer.evaluate(x, y),
      diagnostics: () => optimizer.diagnostics,
      dispose: () => trainer.dispose(),
    };
  },
};

export default onnxruntime;
