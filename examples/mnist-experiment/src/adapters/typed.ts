/** @a2s/typed's optimizers on @a2s/mlp's Float32Array model. */
import { Mlp, PARAM_NAMES } from "@a2s/mlp";
import { A2S, Adam, RMSProp, SGDMomentum } from "@a2s/typed";
import type { ExperimentAdapter, OptimizerKind } from "../adapter.js";

// The optimizer classes by kind: each takes its options object, so a lookup builds any of them.
const OPTIMIZER_CLASSES = { A2S, Adam, RMSProp, SGDMomentum };
const makeOptimizer = (kind: OptimizerKind, options: Record<string, number>) =>
  new OPTIMIZER_CLASSES[kind](options);

const typed: ExperimentAdapter = {
  name: "typed",
  createRun({ kind, options, initialParams, maxBatch }) {
    const model = new Mlp({ maxBatch });
    for (const name of PARAM_NAMES) model.params[name].set(initialParams[name] as Float32Array);
    const optimizer = makeOptimizer(kind, options);
    return {
      step(x, y) {
        model.forward(x);
        const loss = model.loss(y);
        optimizer.update(model.params, model.backward(y));
        return loss;
      },
      evaluate: (x, y) => model.accuracy(x, y),
      ...(optimizer instanceof A2S ? { diagnostics: () => optimizer.diagnostics } : {}),
    };
  },
};

export default typed;
