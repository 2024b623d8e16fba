/**
 * How an optimizer runs (settings), and its options as a tfjs config: what `getConfig`
 * writes and `fromConfig` reads when tfjs-layers saves and loads a model with its
 * optimizer.
 */
import {
  type AlgorithmDefinition,
  type EngineSettings,
  InvalidOptionError,
  type OptionSet,
  optionSetFromJSON,
  optionSetToJSON,
} from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import { KERNELS, type Kernel } from "./fused-kernels.js";
import type { NonFiniteMode } from "./non-finite.js";

/** How an optimizer runs, beside what it computes. */
export interface OptimizerSettings extends EngineSettings {
  /** What a step with a NaN or ±Infinity in it does; `"throw"` by default (see the README). */
  readonly nonFinite?: NonFiniteMode;
  /**
   * The variables the first step must bring gradients for, no more and no fewer (the
   * first step fixes the variable set; without `varList` it takes whatever it is given).
   */
  readonly varList?: readonly tf.Variable[];
  /**
   * `"fused"` (default): A2S steps on the cpu and wasm backends, and Adam, RMSProp and SGD
   * with momentum on cpu, run one fused kernel per variable over the backend's buffers;
   * everything else (other backends and algorithms, A2S's automatic switch, an
   * `allReduce` on wasm) runs `"generic"`: core's transforms as tfjs operations. Both give
   * the same answers (within float32 rounding).
   */
  readonly kernel?: Kernel;
}

const SETTINGS = ["nonFinite", "varList", "allReduce", "kernel"];

/** @throws InvalidOptionError an unknown setting or a value of the wrong kind. */
export function checkSettings(settings: unknown): OptimizerSettings {
  if (settings === undefined) return {};
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
    throw new InvalidOptionError("settings", settings, "an object");
  }
  const given = settings as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!SETTINGS.includes(key)) {
      throw new InvalidOptionError(key, given[key], `one of ${SETTINGS.join(", ")} (unknown setting)`);
    }
  }
  const { nonFinite, varList, kernel } = given;
  if (kernel !== undefined && !KERNELS.includes(kernel as Kernel)) {
    throw new InvalidOptionError("kernel", kernel, '"fused" or "generic"');
  }
  if (nonFinite !== undefined && nonFinite !== "throw" && nonFinite !== "skip") {
    throw new InvalidOptionError("nonFinite", nonFinite, '"throw" or "skip"');
  }
  if (varList !== undefined && !(Array.isArray(varList) && varList.every((v) => v instanceof tf.Variable))) {
    throw new InvalidOptionError("varList", varList, "an array of tf.Variable");
  }
  return given as OptimizerSettings;
}

/*
 * tfjs-layers passes a loaded config through `convertPythonicToTs`, which camel-cases
 * every string holding an underscore ("dense_Dense1/bias" becomes "denseDense1/bias").
 * Option names and schedule fields have none, but tensor names and patterns of groups
 * may: those are written with "_" as "%5F" (and "%" as "%25").
 */
const escapeSelector = (text: string) => text.replace(/[%_]/g, (c) => (c === "%" ? "%25" : "%5F"));
const unescapeSelector = (text: string) =>
  text.replace(/%(25|5F)/g, (_, code) => (code === "25" ? "%" : "_"));

function mapSelectors(
  options: Record<string, unknown>,
  map: (text: string) => string,
): Record<string, unknown> {
  if (!Array.isArray(options.groups)) return options;
  const groups = options.groups.map((group: unknown) => {
    if (typeof group !== "object" || group === null) return group;
    const { tensors } = group as { tensors?: unknown };
    let mapped = tensors;
    if (Array.isArray(tensors)) mapped = tensors.map((name) => (typeof name === "string" ? map(name) : name));
    else if (typeof tensors === "object" && tensors !== null) {
      const { regexp } = tensors as { regexp?: unknown };
      if (typeof regexp === "string") mapped = { ...tensors, regexp: map(regexp) };
    }
    return { ...group, tensors: mapped };
  });
  return { ...options, groups };
}

/** The options as config data (schedules as data, `"Infinity"`, patterns as `{ regexp, flags }`). */
export function optionsToConfig(set: OptionSet): tf.serialization.ConfigDict {
  return mapSelectors(optionSetToJSON(set), escapeSelector) as tf.serialization.ConfigDict;
}

/** Keys of a config that are not options: this package's setting and what tfjs-layers adds. */
export function splitConfig(config: tf.serialization.ConfigDict): {
  options: Record<string, unknown>;
  settings: OptimizerSettings;
  algorithm: unknown;
} {
  const { nonFinite, customObjects: _, algorithm, ...options } = config;
  return { options, algorithm, settings: checkSettings(nonFinite === undefined ? {} : { nonFinite }) };
}

/**
 * Options read back from config data. An option left out takes its default (configs
 * written before an option existed still load).
 *
 * @throws InvalidOptionError naming the option that is not valid.
 */
export function optionsFromConfig(
  definition: AlgorithmDefinition,
  options: Record<string, unknown>,
): OptionSet {
  return optionSetFromJSON(
    definition.options,
    mapSelectors(options, unescapeSelector),
    undefined,
    Object.keys(definition.options),
  );
}
