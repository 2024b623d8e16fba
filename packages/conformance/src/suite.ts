import type { AdapterDescription } from "./adapter.js";
import { badInputTier } from "./bad-input-tier.js";
import { mathTier } from "./math-tier.js";
import { propertyTier } from "./property-tier.js";
import { stateTier } from "./state-tier.js";

export interface ConformanceOptions {
  /** Adapters that must exchange checkpoints with this one (state tier). */
  peers?: readonly AdapterDescription[];
  /**
   * Registers the training tier, e.g. `(adapter) => trainingTier(adapter, { floors })`.
   * It is passed in rather than run by default because it trains on real MNIST.
   */
  training?: (adapter: AdapterDescription) => void;
}

/** Registers every tier for `adapter`: math, bad input, state, properties, and training when asked. */
export function conformanceSuite(adapter: AdapterDescription, options: ConformanceOptions = {}): void {
  mathTier(adapter);
  badInputTier(adapter);
  stateTier(adapter, { peers: options.peers ?? [] });
  propertyTier(adapter);
  options.training?.(adapter);
}
