import { algorithmOf, type TrainingRequest, trainingTier } from "@a2s/conformance";
import { Mlp } from "@a2s/mlp";
import { typedAdapter } from "../src/conformance-adapter.js";
import { Optimizer } from "../src/index.js";

/** Trains the seed's MLP in float32 with this package's fused optimizers. */
function train(request: TrainingRequest): number {
  const model = new Mlp({ seed: request.seed, maxBatch: 64 });
  const optimizer = new Optimizer(algorithmOf(request.optimizer));
  for (const { x, y } of request.batches) {
    model.forward(x);
    optimizer.update(model.params, model.backward(y));
  }
  return model.accuracy(request.test.x, request.test.y);
}

trainingTier({ ...typedAdapter("fused"), train });
