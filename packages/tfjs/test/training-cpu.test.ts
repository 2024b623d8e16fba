import { trainingTier } from "@a2s/conformance";
import { tfjsAdapter } from "./adapter.js";
import { useBackend } from "./backends.js";
import { trainSeedMlp } from "./mlp.js";

// The baselines train through tfjs's own optimizers; only the training tier sees them.
trainingTier({
  ...tfjsAdapter("cpu"),
  kinds: ["A2S", "Adam", "RMSProp", "SGDMomentum"],
  train: async (request) => {
    await useBackend("cpu");
    return trainSeedMlp(request);
  },
});
