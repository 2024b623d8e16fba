import { A2S_SLOT_NAMES, type FloatArray, TensorMismatchError } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import type { VariableGradient } from "./gradients.js";

export type SlotName = (typeof A2S_SLOT_NAMES)[number];

/** A2S's slot variables for one optimized variable. */
export interface TensorSlots {
  /** Name of the variable the slots belong to (as saved, until bound to a variable). */
  readonly name: string;
  readonly slots: Readonly<Record<SlotName, tf.Variable>>;
}

/** How held state is matched to the variables of the next step. */
export type Matching = "name" | "position";

const trainable = false;

function slotsOf(make: (slot: SlotName) => tf.Tensor): Record<SlotName, tf.Variable> {
  return tf.tidy(() => {
    const out = {} as Record<SlotName, tf.Variable>;
    for (const slot of A2S_SLOT_NAMES) out[slot] = make(slot).variable(trainable);
    return out;
  });
}

/** Zero slots shaped like `variable`. */
export function zeroSlots(name: string, variable: tf.Tensor): TensorSlots {
  return { name, slots: slotsOf(() => tf.zerosLike(variable)) };
}

/** Slots holding copies of `values` (host arrays or tensors), cast to float32, in `shape`. */
export function slotsFrom(
  name: string,
  shape: readonly number[],
  values: Readonly<Record<SlotName, FloatArray | tf.Tensor>>,
): TensorSlots {
  return {
    name,
    slots: slotsOf((slot) => {
      const value = values[slot];
      return value instanceof tf.Tensor
        ? tf.reshape(tf.cast(value, "float32"), [...shape])
        : tf.tensor(value, [...shape], "float32");
    }),
  };
}

export function disposeSlots(held: readonly TensorSlots[] | undefined): void {
  for (const { slots } of held ?? []) for (const slot of A2S_SLOT_NAMES) slots[slot].dispose();
}

/**
 * Pairs each held tensor with its gradient, checking that they line up. Returns, in held
 * order, the index of the gradient each one takes. Changes nothing.
 *
 * @throws TensorMismatchError a missing or extra variable, or a size that differs.
 */
export function matchGradients(
  held: readonly TensorSlots[],
  matching: Matching,
  gradients: readonly VariableGradient[],
): number[] {
  const heldNames = held.map((state) => state.name);
  let order: number[];
  if (matching === "position") {
    if (gradients.length !== held.length) {
      const kind = gradients.length < held.length ? "missing" : "unexpected";
      const culprit = gradients[held.length]?.name ?? heldNames[gradients.length] ?? "(all)";
      throw new TensorMismatchError(
        culprit,
        kind,
        `the ${held.length} variables of the loaded state`,
        gradients.length,
        "gradient",
      );
    }
    order = held.map((_, i) => i);
  } else {
    const index = new Map(gradients.map((g, i) => [g.name, i]));
    for (const g of gradients) {
      if (!heldNames.includes(g.name))
        throw new TensorMismatchError(g.name, "unexpected", heldNames, g.name, "gradient");
    }
    order = held.map((state) => {
      const i = index.get(state.name);
      if (i === undefined) {
        throw new TensorMismatchError(
          state.name,
          "missing",
          `the optimizer holds ${state.name}`,
          undefined,
          "gradient",
        );
      }
      return i;
    });
  }
  held.forEach((state, k) => {
    const g = gradients[order[k] as number] as VariableGradient;
    if (state.slots.m.size !== g.variable.size) {
      throw new TensorMismatchError(g.name, "length", state.slots.m.size, g.variable.size, "variable");
    }
  });
  return order;
}

/**
 * Binds held state to the variables it was matched with: adopts their names and, where a
 * loaded state came flat (as from `@a2s/typed`), their shapes. Replaced variables are freed.
 */
export function bindSlots(
  held: readonly TensorSlots[],
  gradients: readonly VariableGradient[],
): TensorSlots[] {
  return held.map((state, k) => {
    const { name, variable } = gradients[k] as VariableGradient;
    const shaped = state.slots.m.shape.join() === variable.shape.join();
    if (shaped) return { name, slots: state.slots };
    const reshaped = slotsFrom(name, variable.shape, state.slots);
    disposeSlots([state]);
    return reshaped;
  });
}
