import { InvalidOptionError } from "./errors.js";

/** What a numeric option must satisfy. One vocabulary for A2S and the baselines. */
export type OptionRule =
  | "positive" // finite and > 0
  | "nonNegative" // finite and >= 0
  | "unitInterval" // in [0, 1)
  | "count" // integer >= 0
  | "positiveCount"; // integer >= 1

const requirement: Record<OptionRule, string> = {
  positive: "a finite number > 0",
  nonNegative: "a finite number >= 0",
  unitInterval: "a number in [0, 1)",
  count: "an integer >= 0",
  positiveCount: "an integer >= 1",
};

function satisfies(value: number, rule: OptionRule): boolean {
  switch (rule) {
    case "positive":
      return Number.isFinite(value) && value > 0;
    case "nonNegative":
      return Number.isFinite(value) && value >= 0;
    case "unitInterval":
      return value >= 0 && value < 1;
    case "count":
      return Number.isSafeInteger(value) && value >= 0;
    case "positiveCount":
      return Number.isSafeInteger(value) && value >= 1;
  }
}

/**
 * Merges `given` over `defaults` and checks every value against its rule. Unknown names
 * are refused too: a typo such as `lr` would otherwise be ignored silently.
 */
export function resolveOptions<O extends { [K in keyof O]: number }>(
  defaults: Readonly<O>,
  rules: { readonly [K in keyof O]: OptionRule },
  given: Partial<O> | undefined,
): Readonly<O> {
  if (given !== undefined && (typeof given !== "object" || given === null || Array.isArray(given))) {
    throw new InvalidOptionError("options", given, "an object");
  }
  const merged: Record<string, number> = { ...defaults };
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!(name in defaults)) {
      throw new InvalidOptionError(
        name,
        value,
        `one of ${Object.keys(defaults).join(", ")} (unknown option)`,
      );
    }
    if (value === undefined) continue;
    merged[name] = value as number;
  }
  for (const name of Object.keys(defaults)) {
    const value = merged[name];
    const rule = rules[name as keyof O];
    if (typeof value !== "number" || !satisfies(value, rule)) {
      throw new InvalidOptionError(name, value, requirement[rule]);
    }
  }
  return Object.freeze(merged) as unknown as Readonly<O>;
}

/** Hyperparameters of A2S, named as the seed's in camelCase. */
export interface A2SOptions {
  /** Base learning rate of the Adam component. */
  lrAdam: number;
  /** Base learning rate of the SGD-with-momentum component. */
  lrSgd: number;
  /** Decay of Adam's first moment. */
  beta1: number;
  /** Decay of Adam's second moment. */
  beta2: number;
  /** Momentum factor of the SGD component. */
  momentum: number;
  /** How strongly the gradient-difference norm shrinks both learning rates. */
  curvatureK: number;
  /** Last step that is pure Adam (`w = 1` while `t <= switchIter`). */
  switchIter: number;
  /** Steps over which `w` falls linearly from 1 to 0. */
  blendIters: number;
  /** Added to Adam's denominator for numerical stability. */
  epsilon: number;
  /**
   * Depth of the seed's gradient-variance window. The seed computes that variance and
   * never uses it, so A2S keeps no gradient history; the option is validated and kept
   * in checkpoints so configurations stay portable.
   */
  windowSize: number;
}

/** The seed's defaults. */
export const A2S_DEFAULTS: Readonly<A2SOptions> = Object.freeze({
  lrAdam: 0.001,
  lrSgd: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  momentum: 0.9,
  curvatureK: 0.05,
  switchIter: 1500,
  blendIters: 3000,
  epsilon: 1e-8,
  windowSize: 10,
});

export const A2S_RULES: { readonly [K in keyof A2SOptions]: OptionRule } = Object.freeze({
  lrAdam: "positive",
  lrSgd: "positive",
  beta1: "unitInterval",
  beta2: "unitInterval",
  momentum: "unitInterval",
  curvatureK: "nonNegative",
  switchIter: "count",
  blendIters: "positiveCount",
  epsilon: "positive",
  windowSize: "positiveCount",
});

/** The seed's defaults overlaid with `options`, validated. Throws {@link InvalidOptionError}. */
export function resolveA2SOptions(options?: Partial<A2SOptions>): Readonly<A2SOptions> {
  return resolveOptions(A2S_DEFAULTS, A2S_RULES, options);
}
