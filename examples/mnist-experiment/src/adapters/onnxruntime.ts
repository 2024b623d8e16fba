/**
 * @a2s/onnxruntime's trainer: the MLP's forward, loss, backward and the optimizer step in
 * one onnxruntime graph run per batch.
 */
import { A2S, Adam, createTrainer, RMSProp, SGDMomentum } from "@a2s/onnxruntime";
import type { ExperimentAdapter, OptimizerKind } from "../adapter.js";

// The optimizer classes by kind: each takes its options object, so a lookup builds any of them.
const OPTIMIZER_CLASSES = { A2S, Adam, RMSProp, SGDMomentum };
const makeOptimizer = (kind: OptimizerKind, options: Record<string, number>) =>
  new OPTIMIZER_CLASSES[kind](options);

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
