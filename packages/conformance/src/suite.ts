import type { AdapterDescription } from "./adapter.js";
import { badInputTier } from "./bad-input-tier.js";
import type { MathCase } from "./cases.js";
import { featuresTier } from "./features-tier.js";
import { mathTier } from "./math-tier.js";
import { propertyTier } from "./property-tier.js";
import { stateTier } from "./state-tier.js";
import { type TrainingTierOptions, trainingTier } from "./training.js";

export interface ConformanceOptions {
  /** Adapters that must exchange checkpoints with this one (state tier). */
  peers?: readonly AdapterDescription[];
  /** More math cases (an algorithm of your own, with its oracle), run like the built-in ones. */
  cases?: readonly MathCase[];
  /**
   * Options of the training tier (`{}` for its defaults). It trains on real MNIST, needs
   * `adapter.train`, and runs only when this is given.
   */
  training?: TrainingTierOptions;
}

/** Registers every tier for `adapter`: math, features, bad input, state, properties, and training when asked. */
export function conformanceSuite(adapter: AdapterDescription, options: ConformanceOptions = {}): void {
  mathTier(adapter, options.cases ?? []);
  featuresTier(adapter);
  badInputTier(adapter);
  stateTier(adapter, { peers: options.peers ?? [] });
  propertyTier(adapter);
  if (options.training !== undefined) trainingTier(adapter, options.training);
}
