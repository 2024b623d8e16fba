import { type TrainingRequest, trainingTier } from "@a2s/conformance";
import { Mlp } from "@a2s/mlp";
import { typedAdapter } from "../src/conformance-adapter.js";
import { A2S, Adam, RMSProp, SGDMomentum } from "../src/index.js";

/** Trains the seed's MLP in float32 with this package's fused optimizers. */
function train(request: TrainingRequest): number {
  const model = new Mlp({ seed: request.seed, maxBatch: 64 });
  const optimizer = {
    A2S: () => new A2S(request.options),
    Adam: () => new Adam(request.options),
    RMSProp: () => new RMSProp(request.options),
    SGDMomentum: () => new SGDMomentum(request.options),
  }[request.kind]();
  for (const { x, y } of request.batches) {
    model.forward(x);
    optimizer.update(model.params, model.backward(y));
  }
  return model.accuracy(request.test.x, request.test.y);
}

trainingTier({ ...typedAdapter("fused"), train });
