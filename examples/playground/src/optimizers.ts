/**
 * The optimizers the page trains with, the options it lets you edit, and their defaults.
 * Options carry @a2s/typed's names on every stack, and @a2s/typed's constructors check them.
 */
import { A2S, Adam, RMSProp, SGDMomentum } from "@a2s/typed";

export const OPTIMIZER_IDS = ["a2s", "adam", "rmsprop", "sgd"] as const;
export type OptimizerId = (typeof OPTIMIZER_IDS)[number];

/** Numeric hyperparameters by name. */
export type NumericOptions = Record<string, number>;

/** Anything @a2s/typed's optimizers share that the page uses. */
export interface TypedOptimizer {
  update(
    params: Record<string, Float32Array | Float64Array>,
    grads: Record<string, Float32Array | Float64Array>,
  ): void;
  readonly options: object;
}

export interface OptimizerSpec {
  id: OptimizerId;
  label: string;
  /** Line colour in every chart. */
  color: string;
  /** The editable options, in the order the form shows them. */
  fields: readonly string[];
  /** @a2s/typed's optimizer with these options; throws its InvalidOptionError. */
  create(options: NumericOptions): TypedOptimizer;
}

export const OPTIMIZERS: Readonly<Record<OptimizerId, OptimizerSpec>> = {
  a2s: {
    id: "a2s",
    label: "A2S",
    color: "#d62728",
    fields: [
      "lrAdam",
      "lrSgd",
      "beta1",
      "beta2",
      "momentum",
      "curvatureK",
      "switchIter",
      "blendIters",
      "epsilon",
    ],
    create: (options) => new A2S(options),
  },
  adam: {
    id: "adam",
    label: "Adam",
    color: "#1f77b4",
    fields: ["learningRate", "beta1", "beta2", "epsilon"],
    create: (options) => new Adam(options),
  },
  rmsprop: {
    id: "rmsprop",
    label: "RMSProp",
    color: "#9467bd",
    fields: ["learningRate", "decay", "epsilon"],
    create: (options) => new RMSProp(options),
  },
  sgd: {
    id: "sgd",
    label: "SGD + momentum",
    color: "#2ca02c",
    fields: ["learningRate", "momentum"],
    create: (options) => new SGDMomentum(options),
  },
};

/**
 * Where the page departs from the seed's defaults: the seed switches to SGD after 1,500
 * steps and blends over 3,000, beyond a run of a few hundred steps, so the page starts the
 * blend early enough for `w` to reach 0 on screen.
 */
const PAGE_DEFAULTS: Partial<Record<OptimizerId, NumericOptions>> = {
  a2s: { switchIter: 100, blendIters: 100 },
};

/** The options a run uses when nothing is edited: @a2s/typed's defaults, then the page's. */
export function defaultOptions(id: OptimizerId): NumericOptions {
  const spec = OPTIMIZERS[id];
  const resolved = spec.create({}).options as Record<string, unknown>;
  const options: NumericOptions = {};
  for (const field of spec.fields) options[field] = resolved[field] as number;
  return { ...options, ...PAGE_DEFAULTS[id] };
}

export function isOptimizerId(value: string): value is OptimizerId {
  return (OPTIMIZER_IDS as readonly string[]).includes(value);
}
