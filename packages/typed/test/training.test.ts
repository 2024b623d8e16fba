import { algorithmOf, type TrainingRequest, trainingTier } from "@a2s/conformance";
import { Mlp } from "@a2s/mlp";
import { typedAdapter } from "../src/conformance-adapter.js";
import { type Kernel, Optimizer } from "../src/index.js";

/** Trains the seed's MLP in float32 with this package's optimizers on one kernel. */
const trainWith =
  (kernel: Kernel) =>
  (request: TrainingRequest): number => {
    const model = new Mlp({ seed: request.seed, maxBatch: 64 });
    const optimizer = new Optimizer(algorithmOf(request.optimizer), { kernel });
    for (const { x, y } of request.batches) {
      model.forward(x);
      optimizer.update(model.params, model.backward(y));
    }
    return model.accuracy(request.test.x, request.test.y);
  };

for (const kernel of ["simd", "fused"] as const)
  trainingTier({ ...typedAdapter(kernel), train: trainWith(kernel) });
