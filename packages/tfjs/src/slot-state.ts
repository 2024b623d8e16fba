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
        : // tfjs takes no Float64Array; float64 checkpoints (from @a2s/typed) are rounded here.
          tf.tensor(value instanceof Float32Array ? value : Float32Array.from(value), [...shape], "float32");
    }),
  };
}

export function disposeSlots(held: readonly TensorSlots[] | undefined): void {
  for (const { slots } of held ?? []) for (const slot of A2S_SLOT_NAMES) slots[slot].dispose();
}

/**
 * Pairs each expected variable with its gradient: by name, or by position (same count).
 * Returns, in expected order, the index of the gradient each one takes. Changes nothing.
 *
 * @throws TensorMismatchError a missing or extra variable.
 */
export function matchGradients(
  expected: readonly string[],
  matching: Matching,
  gradients: readonly VariableGradient[],
): number[] {
  if (matching === "position") {
    if (gradients.length !== expected.length) {
      const kind = gradients.length < expected.length ? "missing" : "unexpected";
      const culprit = gradients[expected.length]?.name ?? expected[gradients.length] ?? "(all)";
      throw new TensorMismatchError(
        culprit,
        kind,
        `the ${expected.length} variables of the loaded state`,
        gradients.length,
        "gradient",
      );
    }
    return expected.map((_, i) => i);
  }
  const index = new Map(gradients.map((g, i) => [g.name, i]));
  for (const g of gradients) {
    if (!expected.includes(g.name))
      throw new TensorMismatchError(g.name, "unexpected", expected, g.name, "gradient");
  }
  return expected.map((name) => {
    const i = index.get(name);
    if (i === undefined) {
      throw new TensorMismatchError(name, "missing", `the optimizer updates ${name}`, undefined, "gradient");
    }
    return i;
  });
}

/** @throws TensorMismatchError a held state whose size differs from its variable's. */
export function checkSizes(held: readonly TensorSlots[], gradients: readonly VariableGradient[]): void {
  held.forEach((state, k) => {
    const { name, variable } = gradients[k] as VariableGradient;
    if (state.slots.m.size !== variable.size) {
      throw new TensorMismatchError(name, "length", state.slots.m.size, variable.size, "variable");
    }
  });
}

/**
 * Binds held state to the variables it was matched with: adopts their names and, where a
 * loaded state came flat (as from `@a2s/typed`), their shapes. Reshaped states are new
 * variables; the caller frees the ones they replace once the step has succeeded.
 */
export function bindSlots(
  held: readonly TensorSlots[],
  gradients: readonly VariableGradient[],
): TensorSlots[] {
  return held.map((state, k) => {
    const { name, variable } = gradients[k] as VariableGradient;
    const shaped = state.slots.m.shape.join() === variable.shape.join();
    if (shaped) return name === state.name ? state : { name, slots: state.slots };
    return slotsFrom(name, variable.shape, state.slots);
  });
}
