/**
 * The conformance suite's view of A2SNeuralNetwork. The suite optimizes tensors of its
 * own names and shapes; this adapter builds a brain network in which each of them IS a
 * layer's weight matrix, and drives the optimizer through the network's own API
 * (the `optimizer` option, applyGradients, toJSON, saveCheckpoint / loadCheckpoint,
 * diagnostics).
 *
 * A suite tensor of shape [rows, cols] becomes the weights of a layer of `rows` nodes
 * over `cols` inputs; any other shape, flattened to n values, the weights of a layer of n
 * nodes over one input. Where consecutive layers do not chain, a bridge layer is put in
 * between. Bridge weights and all biases are zero and get zero gradients, so their state
 * stays zero and adds nothing to any global sum (curvature, clipping norm, a velocity
 * norm): the suite's tensors follow exactly the trajectory they would alone. Names are
 * translated both ways: in gradients, parameter groups, checkpoints (tensors and stored
 * groups) and errors.
 */

import {
  type AdapterDescription,
  algorithmOf,
  type HostTensor,
  type OptimizerUnderTest,
} from "@a2s/conformance";
import {
  A2SError,
  type Checkpoint,
  type CheckpointTensor,
  decodeCheckpoint,
  encodeCheckpoint,
} from "@a2s/core";
import { A2SNeuralNetwork, type A2SNeuralNetworkJSON } from "../src/index.js";

interface Placement {
  suite: string;
  shape: number[];
  layer: number;
  rows: number;
  cols: number;
}

interface Plan {
  sizes: number[];
  placements: Placement[];
}

function plan(params: Record<string, HostTensor>): Plan {
  const sizes: number[] = [];
  const placements = Object.entries(params).map(([suite, tensor]) => {
    const [rows, cols] =
      tensor.shape.length === 2 ? (tensor.shape as [number, number]) : [tensor.data.length, 1];
    if (sizes[sizes.length - 1] !== cols) sizes.push(cols);
    sizes.push(rows);
    return { suite, shape: tensor.shape, layer: sizes.length - 1, rows, cols };
  });
  return { sizes, placements };
}

/** Every tensor of the network in checkpoint order, with its shape. */
function networkTensors(sizes: number[]): { name: string; shape: number[] }[] {
  return sizes.slice(1).flatMap((nodes, i) => [
    { name: `weights.${i + 1}`, shape: [nodes, sizes[i] as number] },
    { name: `biases.${i + 1}`, shape: [nodes] },
  ]);
}

/** brain JSON whose mapped layers hold the suite's values; bridges and biases are zero. */
function networkJSON({ sizes, placements }: Plan, params: Record<string, HostTensor>): A2SNeuralNetworkJSON {
  const layers: object[] = [
    Object.fromEntries(Array.from({ length: sizes[0] as number }, (_, i) => [i, {}])),
  ];
  for (let l = 1; l < sizes.length; l++) {
    const cols = sizes[l - 1] as number;
    const placed = placements.find((p) => p.layer === l);
    const data = placed ? (params[placed.suite] as HostTensor).data : undefined;
    layers.push(
      Object.fromEntries(
        Array.from({ length: sizes[l] as number }, (_, node) => [
          node,
          {
            bias: 0,
            weights: Object.fromEntries(
              Array.from({ length: cols }, (_, k) => [k, data ? (data[node * cols + k] as number) : 0]),
            ),
          },
        ]),
      ),
    );
  }
  return { sizes, layers, outputLookup: false, inputLookup: false, activation: "relu", trainOpts: {} };
}

const escapePattern = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The suite's names and the network's, for one network, both ways. */
class Naming {
  readonly toNetwork: Map<string, string>;
  readonly toSuite: Map<string, string>;
  /** Each pattern handed to the network (by its JSON), with the suite's pattern it stands for. */
  readonly #patterns = new Map<string, { regexp: string; flags: string }>();

  constructor(placements: readonly Placement[]) {
    this.toNetwork = new Map(placements.map((p) => [p.suite, `weights.${p.layer}`]));
    this.toSuite = new Map(placements.map((p) => [`weights.${p.layer}`, p.suite]));
  }

  /**
   * A group selector in the network's names: a list name by name (others kept, so a typo
   * stays one); a pattern as one that takes exactly the network tensors whose suite names
   * it takes. Anything else is passed on for the network to refuse.
   */
  selector(tensors: unknown): unknown {
    if (Array.isArray(tensors)) return tensors.map((name) => this.toNetwork.get(name) ?? name);
    if (!(tensors instanceof RegExp)) return tensors;
    const taken = [...this.toNetwork]
      .filter(([suite]) => tensors.test(suite))
      .map(([, net]) => escapePattern(net));
    const translated = new RegExp(`^(?:${taken.join("|")})$`);
    this.#patterns.set(translated.source, { regexp: tensors.source, flags: tensors.flags });
    return translated;
  }

  /** Options with their groups' selectors in the network's names. */
  options(given: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
    if (!Array.isArray(given?.groups)) return given;
    return {
      ...given,
      groups: given.groups.map((group: unknown) =>
        isRecord(group) ? { ...group, tensors: this.selector(group.tensors) } : group,
      ),
    };
  }

  /** Stored options (checkpoint JSON) with their groups' selectors translated one way or the other. */
  #storedOptions(options: Record<string, unknown>, toSuite: boolean): Record<string, unknown> {
    if (!Array.isArray(options.groups)) return options;
    const groups = options.groups.map((group: unknown) => {
      if (!isRecord(group)) return group;
      const { tensors } = group;
      if (Array.isArray(tensors)) {
        const names = toSuite ? this.toSuite : this.toNetwork;
        return { ...group, tensors: tensors.map((name) => names.get(name) ?? name) };
      }
      if (!isRecord(tensors) || typeof tensors.regexp !== "string") return group;
      if (!toSuite) {
        const pattern = this.selector(new RegExp(tensors.regexp, String(tensors.flags ?? ""))) as RegExp;
        return { ...group, tensors: { regexp: pattern.source, flags: pattern.flags } };
      }
      const original = this.#patterns.get(tensors.regexp);
      if (original === undefined) throw new Error(`pattern ${tensors.regexp} was not handed to the network`);
      return { ...group, tensors: original };
    });
    return { ...options, groups };
  }

  /** A checkpoint of the network as the suite's: its tensors and groups, in the suite's names and shapes. */
  checkpointToSuite(saved: Checkpoint, placements: readonly Placement[]): Checkpoint {
    return {
      ...saved,
      options: this.#storedOptions(saved.options, true),
      tensors: placements.map((p) => ({
        name: p.suite,
        shape: p.shape,
        slots: (saved.tensors.find((t) => t.name === `weights.${p.layer}`) as CheckpointTensor).slots,
      })),
    };
  }

  /**
   * A checkpoint of the suite as the network's: its tensors renamed, zero state added
   * for the bridges and biases (in the slots and dtype of the given state), groups translated.
   */
  checkpointToNetwork(given: Checkpoint, unmapped: readonly { name: string; shape: number[] }[]): Checkpoint {
    const like = Object.entries(given.tensors[0]?.slots ?? {});
    const zeros = (length: number) =>
      Object.fromEntries(
        like.map(([slot, values]) => [
          slot,
          values instanceof Float64Array ? new Float64Array(length) : new Float32Array(length),
        ]),
      );
    const added = like.length === 0 ? [] : unmapped;
    return {
      ...given,
      options: this.#storedOptions(given.options, false),
      tensors: [
        ...given.tensors.map((t) => ({ ...t, name: this.toNetwork.get(t.name) ?? t.name })),
        ...added.map((t) => ({
          name: t.name,
          shape: t.shape,
          slots: zeros(t.shape.reduce((a, b) => a * b, 1)),
        })),
      ],
    };
  }

  /** Runs `action`; errors of the network name its tensors, the suite expects its own names. */
  inSuiteTerms<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      if (error instanceof A2SError) {
        const named = error as A2SError & { tensor?: string };
        for (const [netName, suiteName] of this.toSuite) {
          named.message = named.message.replace(
            new RegExp(`${escapePattern(netName)}(?!\\d)`, "g"),
            suiteName,
          );
          if (named.tensor === netName) named.tensor = suiteName;
        }
      }
      throw error;
    }
  }
}

export function brainAdapter(): AdapterDescription {
  const raw = new WeakMap<OptimizerUnderTest, (grads: Record<string, Float32Array | Float64Array>) => void>();
  return {
    name: "brain.js NeuralNetwork",
    dtypes: ["float32"],
    create(description, params, dtype) {
      if (dtype !== "float32") throw new Error(`brain.js computes in float32, not ${dtype}`);
      const layout = plan(params);
      const naming = new Naming(layout.placements);
      const algorithm = algorithmOf({ ...description, options: naming.options(description.options) });
      const net = new A2SNeuralNetwork({ optimizer: algorithm }).fromJSON(networkJSON(layout, params));
      const unmapped = networkTensors(layout.sizes).filter((t) => !naming.toSuite.has(t.name));

      const stepWith = (grads: Record<string, Float32Array | Float64Array>) => {
        const netGrads: Record<string, Float32Array> = {};
        for (const t of unmapped) netGrads[t.name] = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
        for (const [name, g] of Object.entries(grads))
          netGrads[naming.toNetwork.get(name) ?? name] = g as Float32Array;
        naming.inSuiteTerms(() => net.applyGradients(netGrads));
      };

      const under: OptimizerUnderTest = {
        step: (grads) =>
          stepWith(
            Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, Float32Array.from(g)])),
          ),
        read() {
          const layers = net.toJSON().layers as Record<string, { weights: Record<string, number> }>[];
          return Object.fromEntries(
            layout.placements.map(({ suite, layer, rows, cols }) => {
              const data = new Float64Array(rows * cols);
              for (let node = 0; node < rows; node++) {
                const weights = (layers[layer] as Record<string, { weights: Record<string, number> }>)[node]
                  ?.weights as Record<string, number>;
                for (let k = 0; k < cols; k++) data[node * cols + k] = weights[k] as number;
              }
              return [suite, data];
            }),
          );
        },
        save() {
          const saved = decodeCheckpoint(net.saveCheckpoint());
          for (const t of unmapped) {
            const slots = (saved.tensors.find((s) => s.name === t.name) as CheckpointTensor).slots;
            if (Object.values(slots).some((a) => a.some((x) => x !== 0))) {
              throw new Error(`${t.name} took a step: the adapter's zero gradients leaked`);
            }
          }
          return encodeCheckpoint(naming.checkpointToSuite(saved, layout.placements));
        },
        load(bytes) {
          const translated = naming.checkpointToNetwork(decodeCheckpoint(bytes), unmapped);
          naming.inSuiteTerms(() => net.loadCheckpoint(encodeCheckpoint(translated)));
        },
        diagnostics: () => net.diagnostics,
      };
      raw.set(under, stepWith);
      return under;
    },
    stepRaw(optimizer, grads) {
      const step = raw.get(optimizer);
      if (step === undefined) throw new Error("not an optimizer of this adapter");
      step(grads);
    },
  };
}
