/**
 * @a2s/onnxruntime's trainer: the MLP's forward, loss, backward and the optimizer step in
 * one onnxruntime graph run per batch.
 */
import { createTrainer, Optimizer } from "@a2s/onnxruntime";
import type { ExperimentAdapter } from "../adapter.js";

const onnxruntime: ExperimentAdapter = {
  name: "onnxruntime",
  createRun({ algorithm, initialParams }) {
    const optimizer = new Optimizer(algorithm);
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
