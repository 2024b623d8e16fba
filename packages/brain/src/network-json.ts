/**
 * What `A2SNeuralNetwork` adds to brain's JSON, and the checks brain leaves out: the
 * optimizer (algorithm and options, schedules and groups included) as JSON-safe data,
 * and the layers' values, which brain 1.6.1 reads without looking (`bias: null`, what
 * `JSON.stringify` writes for NaN, becomes 0).
 */
import {
  type A2SOptions,
  type Algorithm,
  a2s,
  algorithmFrom,
  BUILT_IN_ALGORITHMS,
  InvalidOptionError,
  optionSetFromJSON,
  optionSetToJSON,
  TensorMismatchError,
} from "@a2s/core";
import type { INeuralNetworkJSON } from "brain.js";

/** The optimizer as JSON: its algorithm's name and its options as `@a2s/core` writes them in checkpoints. */
export interface OptimizerJSON {
  algorithm: string;
  /** Infinity as `"Infinity"`, schedules as data, a RegExp as `{ regexp, flags }`. */
  options: Record<string, unknown>;
}

/** brain.js's network JSON plus the optimizer. */
export interface A2SNeuralNetworkJSON extends INeuralNetworkJSON {
  optimizer?: OptimizerJSON;
  /** What versions before 0.2 wrote instead of `optimizer`: A2S options, read as `a2s(options)`. */
  a2s?: Partial<A2SOptions>;
}

export function optimizerToJSON(algorithm: Algorithm): OptimizerJSON {
  return { algorithm: algorithm.name, options: optionSetToJSON(algorithm.optionSet) };
}

/**
 * The algorithm a network's JSON asks for: `current`'s when the names agree (so an
 * algorithm defined outside core, and function schedules, come back), a built-in one
 * otherwise; `current` itself when the JSON names none.
 *
 * @throws InvalidOptionError an optimizer that is neither, or options it refuses.
 */
export function algorithmOfJSON(json: A2SNeuralNetworkJSON, current: Algorithm): Algorithm {
  if (json.optimizer === undefined) return json.a2s === undefined ? current : a2s(json.a2s);
  if (json.a2s !== undefined) {
    throw new InvalidOptionError("a2s", json.a2s, "left out of JSON that has an optimizer");
  }
  const { algorithm: name, options } = (json.optimizer ?? {}) as Partial<OptimizerJSON>;
  const builtIn =
    typeof name === "string" && Object.hasOwn(BUILT_IN_ALGORITHMS, name)
      ? BUILT_IN_ALGORITHMS[name]?.definition
      : undefined;
  const definition = name === current.name ? current.definition : builtIn;
  if (definition === undefined) {
    throw new InvalidOptionError(
      "optimizer.algorithm",
      name,
      `${current.name} (this network's) or a built-in algorithm (${Object.keys(BUILT_IN_ALGORITHMS).join(", ")}); for another, construct the network with it first`,
    );
  }
  const same = definition === current.definition ? current.optionSet : undefined;
  return algorithmFrom(definition, optionSetFromJSON(definition.options, options, same));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Checks the layers of brain JSON before brain reads them: `sizes` and `layers` agree,
 * every node of layer `l >= 1` has one weight per node of layer `l - 1`, and every bias
 * and weight is a finite number.
 *
 * @throws TensorMismatchError naming the layer tensor (`weights.<l>`, `biases.<l>`) and the node.
 */
export function checkNetworkJSON(json: unknown): void {
  const shape = "brain network JSON: { sizes, layers, ... }";
  if (!isRecord(json)) throw new TensorMismatchError("(all)", "type", shape, json, "network");
  const { sizes, layers } = json;
  if (
    !Array.isArray(sizes) ||
    sizes.length < 2 ||
    !sizes.every((size) => Number.isSafeInteger(size) && size >= 1)
  ) {
    throw new TensorMismatchError("(all)", "type", "sizes: two or more layer sizes >= 1", sizes, "network");
  }
  if (!Array.isArray(layers) || layers.length !== sizes.length || !layers.every(isRecord)) {
    throw new TensorMismatchError(
      "(all)",
      "type",
      `layers: ${sizes.length} objects, one per size`,
      layers,
      "network",
    );
  }
  const count = (layer: number) => Object.keys(layers[layer] as object).length;
  if (count(0) !== sizes[0]) {
    throw new TensorMismatchError(
      "weights.1",
      "length",
      `${sizes[0]} inputs (sizes[0])`,
      count(0),
      "network",
    );
  }
  for (let layer = 1; layer < sizes.length; layer++) {
    const weights = `weights.${layer}`;
    const biases = `biases.${layer}`;
    if (count(layer) !== sizes[layer]) {
      throw new TensorMismatchError(
        biases,
        "length",
        `${sizes[layer]} nodes (sizes[${layer}])`,
        count(layer),
        "network",
      );
    }
    for (const [node, value] of Object.entries(layers[layer] as object)) {
      const where = `network JSON node ${JSON.stringify(node)} of`;
      const { bias, weights: row } = isRecord(value) ? value : { bias: undefined, weights: undefined };
      if (typeof bias !== "number" || !Number.isFinite(bias)) {
        throw new TensorMismatchError(biases, "type", "a finite number", bias, where);
      }
      if (typeof row !== "object" || row === null) {
        throw new TensorMismatchError(weights, "type", "an object or array of weights", row, where);
      }
      const values = Object.values(row);
      if (values.length !== sizes[layer - 1]) {
        throw new TensorMismatchError(weights, "length", sizes[layer - 1], values.length, where);
      }
      const bad = values.findIndex((w) => typeof w !== "number" || !Number.isFinite(w));
      if (bad >= 0) throw new TensorMismatchError(weights, "type", "finite numbers", values[bad], where);
    }
  }
}
