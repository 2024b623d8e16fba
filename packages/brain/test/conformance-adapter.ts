/**
 * The conformance suite's view of A2SNeuralNetwork. The suite optimizes tensors of its
 * own names and shapes; this adapter builds a brain network in which each of them IS a
 * layer's weight matrix, and drives the update through the network's own API
 * (applyGradients, toJSON, saveCheckpoint / loadCheckpoint).
 *
 * A suite tensor of shape [rows, cols] becomes the weights of a layer of `rows` nodes
 * over `cols` inputs; any other shape, flattened to n values, the weights of a layer of n
 * nodes over one input. Where consecutive layers do not chain, a bridge layer is put in
 * between. Bridge weights and all biases get zero gradients, so their A2S state stays
 * zero and adds nothing to the curvature norm: the suite's tensors follow exactly the
 * trajectory they would alone. Checkpoints are translated between the two namings, and
 * errors name the suite's tensors.
 */

import type { AdapterDescription, HostTensor, OptimizerUnderTest } from "@a2s/conformance";
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

/** Every tensor of the network in checkpoint order, with its length. */
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

const emptySlots = (length: number) =>
  Object.fromEntries(["m", "v", "buf", "prev"].map((slot) => [slot, new Float32Array(length)]));

export function brainAdapter(): AdapterDescription {
  const raw = new WeakMap<OptimizerUnderTest, (grads: Record<string, Float32Array | Float64Array>) => void>();
  return {
    name: "brain.js NeuralNetwork",
    dtypes: ["float32"],
    kinds: ["A2S"],
    create(_kind, options, params) {
      const layout = plan(params);
      const net = new A2SNeuralNetwork({ a2s: options }).fromJSON(networkJSON(layout, params));
      const all = networkTensors(layout.sizes);
      const toNetwork = new Map(layout.placements.map((p) => [p.suite, `weights.${p.layer}`]));
      const toSuite = new Map(layout.placements.map((p) => [`weights.${p.layer}`, p.suite]));
      const unmapped = all.filter((t) => !toSuite.has(t.name));

      /** Errors of the network name its tensors; the suite expects its own names. */
      const inSuiteTerms = <T>(action: () => T): T => {
        try {
          return action();
        } catch (error) {
          if (error instanceof A2SError) {
            const named = error as A2SError & { tensor?: string };
            for (const [netName, suiteName] of toSuite) {
              const pattern = new RegExp(`${netName.replace(".", "\\.")}(?!\\d)`, "g");
              named.message = named.message.replace(pattern, suiteName);
              if (named.tensor === netName) named.tensor = suiteName;
            }
          }
          throw error;
        }
      };

      const stepWith = (grads: Record<string, Float32Array | Float64Array>) => {
        const netGrads: Record<string, Float32Array> = {};
        for (const t of unmapped) netGrads[t.name] = new Float32Array(t.shape[0]! * (t.shape[1] ?? 1));
        for (const [name, g] of Object.entries(grads))
          netGrads[toNetwork.get(name) ?? name] = g as Float32Array;
        inSuiteTerms(() => net.applyGradients(netGrads));
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
            const slots = (saved.tensors[t.name] as CheckpointTensor).slots;
            if (Object.values(slots).some((a) => a.some((x) => x !== 0))) {
              throw new Error(`${t.name} took a step: the adapter's zero gradients leaked`);
            }
          }
          const tensors = Object.fromEntries(
            layout.placements.map((p) => [
              p.suite,
              { shape: p.shape, slots: (saved.tensors[`weights.${p.layer}`] as CheckpointTensor).slots },
            ]),
          );
          return encodeCheckpoint({ ...saved, tensors });
        },
        load(bytes) {
          const given = decodeCheckpoint(bytes);
          const tensors: Checkpoint["tensors"] = {};
          for (const t of unmapped)
            tensors[t.name] = { shape: t.shape, slots: emptySlots(t.shape[0]! * (t.shape[1] ?? 1)) };
          for (const [name, tensor] of Object.entries(given.tensors))
            tensors[toNetwork.get(name) ?? name] = tensor;
          inSuiteTerms(() => net.loadCheckpoint(encodeCheckpoint({ ...given, tensors })));
        },
        diagnostics() {
          const d = net.diagnostics();
          if (d === undefined) throw new Error("no step taken yet");
          return d;
        },
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
