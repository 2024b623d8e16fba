import { A2S_SLOT_NAMES, CheckpointError } from "@a2s/core";
import type * as tf from "@tensorflow/tfjs-core";
import type { NamedTensor } from "./gradients.js";
import type { SlotName } from "./slot-state.js";

/** A2S's state as tfjs-layers hands it to `setWeights`, checked. */
export interface OptimizerWeights {
  iterations: number;
  tensors: { name: string; shape: number[]; slots: Record<SlotName, tf.Tensor> }[];
}

/**
 * Checks and groups the list `getWeights` produced: `iter`, then per variable its slots
 * in {@link A2S_SLOT_NAMES} order, each named `<variable>/<slot>`, all finite.
 *
 * @throws CheckpointError naming the first weight that does not fit.
 */
export async function readOptimizerWeights(weights: NamedTensor[]): Promise<OptimizerWeights> {
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new CheckpointError("tensors", "optimizer weights must start with the step count iter");
  }
  const [iter, ...rest] = weights as [NamedTensor, ...NamedTensor[]];
  if (iter.tensor.size !== 1)
    throw new CheckpointError("tensors", `first weight ${iter.name} is not a scalar step count`);
  const iterations = (await iter.tensor.data())[0] as number;
  if (!Number.isSafeInteger(iterations) || iterations < 0) {
    throw new CheckpointError("header", `step count ${iter.name} is ${iterations}, not an integer >= 0`);
  }
  const slotCount = A2S_SLOT_NAMES.length;
  if (rest.length % slotCount !== 0) {
    throw new CheckpointError(
      "tensors",
      `${rest.length} slot weights is not a multiple of ${slotCount} (${A2S_SLOT_NAMES.join(", ")})`,
    );
  }
  const tensors: OptimizerWeights["tensors"] = [];
  for (let start = 0; start < rest.length; start += slotCount) {
    const group = rest.slice(start, start + slotCount);
    const first = group[0] as NamedTensor;
    const name = first.name.slice(0, first.name.lastIndexOf("/"));
    const slots = {} as Record<SlotName, tf.Tensor>;
    for (const [k, slot] of A2S_SLOT_NAMES.entries()) {
      const weight = group[k] as NamedTensor;
      if (weight.name !== `${name}/${slot}`) {
        throw new CheckpointError("tensors", `weight ${weight.name} found where ${name}/${slot} belongs`);
      }
      if (weight.tensor.shape.join() !== first.tensor.shape.join()) {
        throw new CheckpointError(
          "tensors",
          `weight ${weight.name} has shape [${weight.tensor.shape}], ${first.name} has [${first.tensor.shape}]`,
        );
      }
      const values = await weight.tensor.data();
      const bad = (values as Float32Array).findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new CheckpointError("data", `${weight.name}[${bad}] is ${values[bad]}`);
      slots[slot] = weight.tensor;
    }
    tensors.push({ name, shape: [...first.tensor.shape], slots });
  }
  return { iterations, tensors };
}
