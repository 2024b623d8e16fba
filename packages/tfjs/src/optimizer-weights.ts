/**
 * The optimizer's state as tfjs-layers saves it with `includeOptimizer: true`: a list of
 * named tensors. `getWeights` lists, in order, `iter` (the step count, int32, tfjs's
 * convention), `scalar/<name>` for each per-optimizer scalar of the algorithm, and
 * `<variable>/<slot>` for each slot of each variable in the optimizer's order.
 * `setWeights` reads that list back into a checkpoint, which the engine loads.
 */
import {
  type Algorithm,
  CheckpointError,
  type CheckpointTensor,
  encodeCheckpoint,
  optionSetToJSON,
} from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensor } from "./gradients.js";

export const scalarWeightName = (name: string) => `scalar/${name}`;
export const slotWeightName = (tensor: string, slot: string) => `${tensor}/${slot}`;

async function valuesOf(weight: NamedTensor): Promise<Float32Array> {
  // A copy: on the cpu backend data() hands out the tensor's own array.
  return Float32Array.from(await weight.tensor.data());
}

function checkEntries(weights: unknown): asserts weights is NamedTensor[] {
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new CheckpointError("tensors", "optimizer weights must start with the step count iter");
  }
  weights.forEach((weight: Partial<NamedTensor> | undefined, i) => {
    if (
      typeof weight?.name !== "string" ||
      !(weight.tensor instanceof tf.Tensor) ||
      weight.tensor.isDisposed
    ) {
      throw new CheckpointError(
        "tensors",
        `optimizer weight ${i} is not a { name, tensor } with a live tensor`,
      );
    }
  });
}

/**
 * The checkpoint of `algorithm` that a `getWeights` list holds (its options are the
 * algorithm's own: tfjs-layers restores those from the config). The slots of a variable
 * may come in any order, so that lists written before the engine (`m, v, buf, prev`)
 * load too.
 *
 * @throws CheckpointError naming the first weight that does not fit.
 */
export async function checkpointFromWeights(algorithm: Algorithm, weights: unknown): Promise<Uint8Array> {
  checkEntries(weights);
  const [iter, ...rest] = weights as [NamedTensor, ...NamedTensor[]];
  const [t] = await iter.tensor.data();
  if (iter.tensor.size !== 1 || !Number.isSafeInteger(t) || (t as number) < 0) {
    throw new CheckpointError("tensors", `first weight ${iter.name} is not a step count (an integer >= 0)`);
  }
  const scalars: Record<string, number> = {};
  for (const [k, [name]] of algorithm.scalars.entries()) {
    const weight = rest[k];
    if (weight?.name !== scalarWeightName(name) || weight.tensor.size !== 1) {
      throw new CheckpointError(
        "tensors",
        `weight ${weight?.name} found where the scalar ${scalarWeightName(name)} belongs`,
      );
    }
    scalars[name] = (await valuesOf(weight))[0] as number;
  }
  const slotNames = algorithm.slots.map(([slot]) => slot);
  const tensors: CheckpointTensor[] = [];
  const slotWeights = rest.slice(algorithm.scalars.length);
  for (let start = 0; start < slotWeights.length; start += slotNames.length) {
    const group = slotWeights.slice(start, start + slotNames.length);
    const first = group[0] as NamedTensor;
    const tensor = first.name.slice(0, first.name.lastIndexOf("/"));
    const slots: Record<string, Float32Array> = Object.create(null);
    for (const slot of slotNames) {
      const weight = group.find((w) => w.name === slotWeightName(tensor, slot));
      if (weight === undefined) {
        throw new CheckpointError(
          "tensors",
          `weight ${slotWeightName(tensor, slot)} is missing (after ${first.name}, ${algorithm.name} keeps ${slotNames.join(", ")} per variable)`,
        );
      }
      if (weight.tensor.shape.join() !== first.tensor.shape.join()) {
        throw new CheckpointError(
          "tensors",
          `weight ${weight.name} has shape [${weight.tensor.shape}], ${first.name} has [${first.tensor.shape}]`,
        );
      }
      slots[slot] = await valuesOf(weight);
    }
    tensors.push({ name: tensor, shape: [...first.tensor.shape], slots });
  }
  return encodeCheckpoint({
    algorithm: algorithm.name,
    options: optionSetToJSON(algorithm.optionSet),
    t: t as number,
    scalars,
    tensors,
  });
}
