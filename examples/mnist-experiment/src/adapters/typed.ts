/** @a2s/typed's optimizers on @a2s/mlp's Float32Array model. */
import { Mlp, PARAM_NAMES } from "@a2s/mlp";
import { Optimizer } from "@a2s/typed";
import type { ExperimentAdapter } from "../adapter.js";

const typed: ExperimentAdapter = {
  name: "typed",
  createRun({ algorithm, initialParams, maxBatch }) {
    const model = new Mlp({ maxBatch });
    for (const name of PARAM_NAMES) model.params[name].set(initialParams[name] as Float32Array);
    const optimizer = new Optimizer(algorithm);
    return {
      step(x, y) {
        model.forward(x);
        const loss = model.loss(y);
        optimizer.update(model.params, model.backward(y));
        return loss;
      },
      evaluate: (x, y) => model.accuracy(x, y),
      diagnostics: () => optimizer.diagnostics,
    };
  },
};

export default typed;
