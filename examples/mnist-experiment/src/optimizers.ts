/**
 * The optimizers the experiment trains: the seed's four with the settings of its
 * experiment, and A2S with the automatic switch; and the feature flags laid over them.
 */
import {
  type Algorithm,
  a2s,
  adam,
  cosineDecaySchedule,
  rmsprop,
  type Scheduled,
  sgdMomentum,
  warmupCosineDecaySchedule,
} from "@a2s/core";

export interface OptimizerSetup {
  /** As shown in tables and charts. */
  label: string;
  /** What `--optimizers` accepts for it (any case). */
  names: readonly string[];
  /** Its algorithm with options, given the features. */
  algorithm(features: Features): Algorithm;
}

/** The feature flags: schedules, decoupled weight decay, global-norm clipping. */
export interface Features {
  /** `constant` (the seed's), `cosine` (to 0 over the run) or `warmup-cosine` (5% of the run to the rate, then cosine to 0). */
  schedule: ScheduleName;
  weightDecay: number;
  /** `Infinity`: off. */
  clipNorm: number;
  /** Steps in the whole run, which the schedules span. */
  totalSteps: number;
}

export const SCHEDULES = ["constant", "cosine", "warmup-cosine"] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/** A base rate under the chosen schedule. */
function rate(base: number, features: Features): Scheduled {
  const { schedule, totalSteps } = features;
  if (schedule === "constant") return base;
  if (schedule === "cosine") return cosineDecaySchedule({ initValue: base, decaySteps: totalSteps });
  const warmupSteps = Math.max(1, Math.round(0.05 * totalSteps));
  return warmupCosineDecaySchedule({
    initValue: 0,
    peakValue: base,
    warmupSteps,
    decaySteps: Math.max(warmupSteps + 1, totalSteps),
  });
}

const common = (features: Features) => ({ weightDecay: features.weightDecay, clipNorm: features.clipNorm });

/**
 * Every option is spelled out rather than left to a stack's defaults: tfjs's Adam, for
 * one, defaults epsilon to 1e-7, and the runs must be the same on every stack.
 */
export const OPTIMIZERS: readonly OptimizerSetup[] = [
  {
    label: "A2S",
    names: ["a2s"],
    algorithm: (f) => a2s({ lrAdam: rate(0.001, f), lrSgd: rate(0.01, f), ...common(f) }),
  },
  {
    label: "A2S-auto",
    names: ["a2s-auto"],
    // The automatic switch decides when to leave Adam and which SGD rate to take.
    algorithm: (f) => a2s({ lrAdam: rate(0.001, f), switchIter: "auto", lrSgd: "auto", ...common(f) }),
  },
  {
    label: "Adam",
    names: ["adam"],
    algorithm: (f) =>
      adam({ learningRate: rate(1e-3, f), beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...common(f) }),
  },
  {
    label: "RMSProp",
    names: ["rmsprop"],
    algorithm: (f) => rmsprop({ learningRate: rate(1e-3, f), decay: 0.9, epsilon: 1e-8, ...common(f) }),
  },
  {
    label: "SGDMomentum",
    names: ["sgdmomentum", "sgd"],
    algorithm: (f) => sgdMomentum({ learningRate: rate(0.01, f), momentum: 0.9, ...common(f) }),
  },
];

/** The seed's experiment: its four optimizers (A2S-auto only when asked for). */
export const DEFAULT_OPTIMIZERS: readonly OptimizerSetup[] = OPTIMIZERS.filter((o) => o.label !== "A2S-auto");
