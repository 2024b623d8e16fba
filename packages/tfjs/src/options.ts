import { type A2SOptions, InvalidOptionError, resolveA2SOptions } from "@a2s/core";
import type { NonFiniteMode } from "./non-finite.js";

/** Options of the tfjs optimizer: A2S's hyperparameters plus the non-finite policy. */
export interface A2STfjsOptions extends Partial<A2SOptions> {
  /** What a NaN or ±Infinity in a gradient does; defaults to `"throw"`. */
  nonFinite?: NonFiniteMode;
}

export interface ResolvedTfjsOptions {
  readonly a2s: Readonly<A2SOptions>;
  readonly nonFinite: NonFiniteMode;
}

/** Splits and validates the options. Throws {@link InvalidOptionError}. */
export function resolveTfjsOptions(options: A2STfjsOptions | undefined): ResolvedTfjsOptions {
  if (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options))) {
    throw new InvalidOptionError("options", options, "an object");
  }
  const { nonFinite = "throw", ...a2s } = options ?? {};
  if (nonFinite !== "throw" && nonFinite !== "skip") {
    throw new InvalidOptionError("nonFinite", nonFinite, '"throw" or "skip"');
  }
  return { a2s: resolveA2SOptions(a2s), nonFinite };
}
