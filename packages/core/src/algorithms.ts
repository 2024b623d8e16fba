/**
 * Algorithms: a name (as checkpoints record it), the options it takes (as data), and how
 * its transform is built from them. A2S, Adam, RMSProp and SGD with momentum are defined
 * here from the same transforms; {@link defineAlgorithm} defines others the same way,
 * and every adapter runs them without change.
 */
import { decodeCheckpoint } from "./checkpoint.js";
import { CheckpointError, InvalidOptionError } from "./errors.js";
import {
  type OptionSet,
  type OptionSpec,
  type OptionSpecs,
  type OptionValue,
  optionsObject,
  resolveOptionSet,
  type TensorSelector,
} from "./option-values.js";
import {
  blend,
  chain,
  collectScalars,
  collectSlots,
  type ScalarSpec,
  type SlotRule,
  type Transform,
} from "./transform.js";
import {
  addBlendedWeightDecay,
  addDecayedWeights,
  autoSwitchBlend,
  blendWeight,
  clipByGlobalNorm,
  scaleByAdam,
  scaleByCurvature,
  scaleByLearningRate,
  scaleByRms,
  trace,
} from "./transforms.js";

export interface AlgorithmDefinition {
  /** Recorded in checkpoints; a checkpoint loads only into the algorithm of its name. */
  readonly name: string;
  readonly options: OptionSpecs;
  /**
   * The options of format-1 checkpoints, for algorithms that existed then; options
   * added since take their defaults when such a checkpoint is loaded.
   */
  readonly legacyOptions?: readonly string[];
  /** Checks between options as the user gave them (after each one is valid). */
  check?(given: Readonly<Record<string, unknown>>): void;
  build(options: OptionSet): Transform;
}

/** An algorithm with its options: what an optimizer of any adapter is made from. */
export interface Algorithm {
  readonly name: string;
  readonly definition: AlgorithmDefinition;
  readonly optionSet: OptionSet;
  /** The resolved options as a user would write them (`groups` included when given). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly transform: Transform;
  /** Per-tensor slots, in checkpoint order, with what their values must be. */
  readonly slots: readonly (readonly [string, SlotRule])[];
  /** Per-optimizer scalars. */
  readonly scalars: readonly (readonly [string, ScalarSpec])[];
}

/** An algorithm built from checked options (used when loading saved options). */
export function algorithmFrom(definition: AlgorithmDefinition, optionSet: OptionSet): Algorithm {
  const transform = definition.build(optionSet);
  return Object.freeze({
    name: definition.name,
    definition,
    optionSet,
    options: optionsObject(optionSet),
    transform,
    slots: Object.freeze(collectSlots(transform)),
    scalars: Object.freeze(collectScalars(transform)),
  });
}

/** A function that makes the algorithm from options, carrying its definition. */
export type AlgorithmFactory<O> = ((options?: O) => Algorithm) & { readonly definition: AlgorithmDefinition };

/**
 * Defines an algorithm. The factory checks the options (throwing
 * {@link InvalidOptionError} naming the option and the value) and builds the transform.
 *
 * @example
 * const signSgd = defineAlgorithm({
 *   name: "SignSGD",
 *   options: { learningRate: { default: 0.01, rule: "nonNegative", scope: "group", schedulable: true } },
 *   build: () => chain(sign(), scaleByLearningRate("learningRate")),
 * });
 */
export function defineAlgorithm<O = Record<string, unknown>>(
  definition: AlgorithmDefinition,
): AlgorithmFactory<O> {
  const factory = (options?: O) => {
    const set = resolveOptionSet(definition.options, options);
    definition.check?.((options ?? {}) as Record<string, unknown>);
    return algorithmFrom(definition, set);
  };
  return Object.assign(factory, { definition });
}

/** A learning rate or another option that may follow a schedule. */
export type Scheduled = OptionValue;

/** A parameter group: the tensors it takes and the options it sets for them. */
export type GroupOf<O> = { readonly tensors: TensorSelector } & Partial<O>;

const group = (spec: Omit<OptionSpec, "scope">): OptionSpec => ({ ...spec, scope: "group" });
const global = (spec: Omit<OptionSpec, "scope">): OptionSpec => ({ ...spec, scope: "global" });

const LEARNING_RATE = (value: number) => group({ default: value, rule: "nonNegative", schedulable: true });
const WEIGHT_DECAY = group({ default: 0, rule: "nonNegative" });
const CLIP_NORM = global({ default: Number.POSITIVE_INFINITY, rule: "positiveOrInfinity" });
const BETA1 = group({ default: 0.9, rule: "unitInterval" });
const BETA2 = group({ default: 0.999, rule: "unitInterval" });
const EPSILON = group({ default: 1e-8, rule: "epsilon" });

/** Options of A2S that may differ per parameter group. */
export interface A2SGroupOptions {
  /** Learning rate of the Adam component: a number or a schedule. */
  lrAdam: Scheduled;
  /**
   * Learning rate of the SGD-with-momentum component: a number or a schedule, or
   * `"auto"` (with `switchIter: "auto"`) for the rate estimated at the switch.
   */
  lrSgd: Scheduled;
  beta1: number;
  beta2: number;
  momentum: number;
  epsilon: number;
  /** Decoupled weight decay, multiplied by the blended learning rate (AdamW's form). */
  weightDecay: number;
}

/** Hyperparameters of A2S, named as the seed's in camelCase, and the additions (all off by default). */
export interface A2SOptions extends A2SGroupOptions {
  /** How strongly the gradient-difference norm shrinks both learning rates. */
  curvatureK: number;
  /** Global-norm clipping threshold; `Infinity` (the default) never clips. */
  clipNorm: number;
  /**
   * Last pure-Adam step (`w = 1` while `t <= switchIter`); `Infinity` never switches;
   * `"auto"` lets A2S decide from data (see `autoSwitchBlend`).
   */
  switchIter: number | "auto";
  /** Steps over which `w` falls linearly from 1 to 0; 0 is a hard switch. */
  blendIters: number;
  /** The blend weight `w` as a number or schedule, instead of `switchIter` / `blendIters`. */
  blend: Scheduled;
  /** With `switchIter: "auto"`: the fewest Adam steps before the switch may fire. */
  switchMinSteps: number;
  /** With `switchIter: "auto"`: steps between two comparisons of the SGD-rate estimate. */
  switchWindow: number;
  /** With `switchIter: "auto"`: how close (relatively) two comparisons must be for the estimate to count as settled. */
  switchTolerance: number;
  /**
   * Depth of the seed's gradient-variance window. The seed computes that variance and
   * never uses it, so A2S keeps no gradient history; the option is checked and saved so
   * that configurations stay portable.
   */
  windowSize: number;
  /** Per-group overrides of {@link A2SGroupOptions}; the first group that takes a tensor wins. */
  groups: readonly GroupOf<A2SGroupOptions>[];
}

/** The seed's defaults, and the additions off. */
export const A2S_OPTION_SPECS: OptionSpecs = Object.freeze({
  lrAdam: LEARNING_RATE(0.001),
  lrSgd: group({ default: 0.01, rule: "nonNegative", schedulable: true, auto: true }),
  beta1: BETA1,
  beta2: BETA2,
  momentum: group({ default: 0.9, rule: "unitInterval" }),
  epsilon: EPSILON,
  weightDecay: WEIGHT_DECAY,
  curvatureK: global({ default: 0.05, rule: "nonNegative" }),
  clipNorm: CLIP_NORM,
  switchIter: global({ default: 1500, rule: "countOrInfinity", auto: true }),
  blendIters: global({ default: 3000, rule: "count" }),
  blend: global({ default: undefined, rule: "fraction", schedulable: true }),
  switchMinSteps: global({ default: 1000, rule: "count" }),
  switchWindow: global({ default: 500, rule: "positiveCount" }),
  switchTolerance: global({ default: 0.25, rule: "positive" }),
  windowSize: global({ default: 10, rule: "positiveCount" }),
});

/**
 * A2S (AdaFusion): clipping, the curvature scale, the blend of an Adam branch and a
 * momentum branch, each with its own learning rate (applied in the seed's order of
 * operations), then decoupled weight decay on the blended rate. At `w = 1` it is
 * {@link adam} at the scaled rate, at `w = 0` {@link sgdMomentum}.
 */
export const a2s: AlgorithmFactory<Partial<A2SOptions>> = defineAlgorithm({
  name: "A2S",
  options: A2S_OPTION_SPECS,
  legacyOptions: [
    "lrAdam",
    "lrSgd",
    "beta1",
    "beta2",
    "momentum",
    "curvatureK",
    "switchIter",
    "blendIters",
    "epsilon",
    "windowSize",
  ],
  check(given) {
    if (given.blend !== undefined && (given.switchIter !== undefined || given.blendIters !== undefined)) {
      throw new InvalidOptionError(
        "blend",
        given.blend,
        "given without switchIter and blendIters (blend replaces their ramp)",
      );
    }
    const autoRates = [
      given.lrSgd,
      ...((given.groups as { lrSgd?: unknown }[] | undefined) ?? []).map((g) => g.lrSgd),
    ];
    if (autoRates.includes("auto") && given.switchIter !== "auto") {
      throw new InvalidOptionError(
        "lrSgd",
        "auto",
        'a rate unless switchIter is "auto" (the estimate is made by the automatic switch)',
      );
    }
  },
  build(options) {
    const adamBranch = scaleByAdam({ rate: "lrAdam" });
    const sgdBranch = chain(trace(), scaleByLearningRate("lrSgd"));
    const auto = options.values.switchIter === "auto";
    return chain(
      clipByGlobalNorm(),
      scaleByCurvature(),
      ...(auto ? [autoSwitchBlend(adamBranch, sgdBranch)] : [blendWeight(), blend(adamBranch, sgdBranch)]),
      addBlendedWeightDecay(),
    );
  },
});

export interface AdamGroupOptions {
  learningRate: Scheduled;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay: Adam with it is AdamW. */
  weightDecay: number;
}
export interface AdamOptions extends AdamGroupOptions {
  clipNorm: number;
  groups: readonly GroupOf<AdamGroupOptions>[];
}

/** Adam (AdamW with `weightDecay`); defaults as `tf.train.adam`. */
export const adam: AlgorithmFactory<Partial<AdamOptions>> = defineAlgorithm({
  name: "Adam",
  options: Object.freeze({
    learningRate: LEARNING_RATE(0.001),
    beta1: BETA1,
    beta2: BETA2,
    epsilon: EPSILON,
    weightDecay: WEIGHT_DECAY,
    clipNorm: CLIP_NORM,
  }),
  legacyOptions: ["learningRate", "beta1", "beta2", "epsilon"],
  build: () =>
    chain(
      clipByGlobalNorm(),
      scaleByAdam({ rate: "learningRate" }),
      addDecayedWeights({ rate: "learningRate" }),
    ),
});

export interface RMSPropGroupOptions {
  learningRate: Scheduled;
  /** Decay of the running mean of squared gradients. */
  decay: number;
  epsilon: number;
  weightDecay: number;
}
export interface RMSPropOptions extends RMSPropGroupOptions {
  clipNorm: number;
  groups: readonly GroupOf<RMSPropGroupOptions>[];
}

/** RMSProp without momentum: `v = decay·v + (1 − decay)·g²`, `p −= lr·g/(√v + ε)`. */
export const rmsprop: AlgorithmFactory<Partial<RMSPropOptions>> = defineAlgorithm({
  name: "RMSProp",
  options: Object.freeze({
    learningRate: LEARNING_RATE(0.001),
    decay: group({ default: 0.9, rule: "unitInterval" }),
    epsilon: EPSILON,
    weightDecay: WEIGHT_DECAY,
    clipNorm: CLIP_NORM,
  }),
  legacyOptions: ["learningRate", "decay", "epsilon"],
  build: () =>
    chain(
      clipByGlobalNorm(),
      scaleByRms({ rate: "learningRate" }),
      addDecayedWeights({ rate: "learningRate" }),
    ),
});

export interface SGDMomentumGroupOptions {
  learningRate: Scheduled;
  momentum: number;
  weightDecay: number;
}
export interface SGDMomentumOptions extends SGDMomentumGroupOptions {
  clipNorm: number;
  groups: readonly GroupOf<SGDMomentumGroupOptions>[];
}

/** SGD with momentum in the seed's form: `buf = momentum·buf + g`, `p −= lr·buf`. */
export const sgdMomentum: AlgorithmFactory<Partial<SGDMomentumOptions>> = defineAlgorithm({
  name: "SGDMomentum",
  options: Object.freeze({
    learningRate: LEARNING_RATE(0.01),
    momentum: group({ default: 0.9, rule: "unitInterval" }),
    weightDecay: WEIGHT_DECAY,
    clipNorm: CLIP_NORM,
  }),
  legacyOptions: ["learningRate", "momentum"],
  build: () => chain(clipByGlobalNorm(), trace(), addDecayedWeights(), scaleByLearningRate("learningRate")),
});

/** The built-in algorithms by checkpoint name. */
export const BUILT_IN_ALGORITHMS: Readonly<Record<string, AlgorithmFactory<never>>> = Object.freeze({
  A2S: a2s,
  Adam: adam,
  RMSProp: rmsprop,
  SGDMomentum: sgdMomentum,
});

/**
 * A built-in algorithm with default options, of the name a checkpoint records, for
 * making an optimizer that then loads the checkpoint (which brings its own options).
 *
 * @throws CheckpointError bytes that are no checkpoint, or of an algorithm that is not
 * built in (make the optimizer with its definition and call `loadCheckpoint`).
 */
export function builtInAlgorithmOf(bytes: Uint8Array): Algorithm {
  const { algorithm } = decodeCheckpoint(bytes);
  const factory = Object.hasOwn(BUILT_IN_ALGORITHMS, algorithm) ? BUILT_IN_ALGORITHMS[algorithm] : undefined;
  if (factory === undefined) {
    throw new CheckpointError(
      "algorithm",
      `${JSON.stringify(algorithm)} is not built in; make the optimizer with its definition, then load`,
    );
  }
  return factory();
}
