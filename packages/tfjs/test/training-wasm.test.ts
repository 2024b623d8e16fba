import { trainingTier } from "@a2s/conformance";
import { tfjsAdapter } from "./adapter.js";
import { useBackend } from "./backends.js";

// The seed's MLP in tf.layers, trained with this package's A2S and its own baselines.
trainingTier(tfjsAdapter("wasm", useBackend));
