/**
 * The engine backend of this package: the engine holds state as host arrays in boxes,
 * which graph runs read as inputs and write as outputs. A box's array can be exchanged
 * for another: the state a run wrote is taken over by swapping arrays with the box the
 * engine holds, so a step copies no state, and the state it replaces becomes the next
 * run's output buffer.
 */
import { allocateLike, type EngineBackend, type FloatArray, type FloatDType } from "@a2s/core";

/** A value the engine holds or a step hands it: a host array and its shape. */
export interface HostValue {
  array: FloatArray;
  readonly shape: readonly number[];
  /**
   * True for arrays of this package's own (state, outputs), whose contents may move by
   * swapping; false for a caller's array (a parameter), which is written in place.
   */
  readonly owned: boolean;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function ownedValue(array: FloatArray, shape: readonly number[]): HostValue {
  return { array, shape, owned: true };
}

export function zeroValue(dtype: FloatDType, shape: readonly number[]): HostValue {
  return ownedValue(allocateLike(dtype, sizeOf(shape)), shape);
}

export const hostValueBackend: EngineBackend<HostValue> = Object.freeze<EngineBackend<HostValue>>({
  // The step's arithmetic runs in graphs, never through these operations.
  ops: undefined as never,
  zeros: (shape: readonly number[], dtype: FloatDType) => zeroValue(dtype, shape),
  fromHost: (values: FloatArray, shape: readonly number[]) => ownedValue(values.slice(), shape),
  toHost: (value: HostValue) => value.array.slice(),
  assign(target: HostValue, value: HostValue) {
    if (!target.owned) {
      target.array.set(value.array);
      return;
    }
    const array = target.array;
    target.array = value.array;
    value.array = array;
  },
  // The engine keeps published values across steps; the run's buffers are reused.
  retain: (value: HostValue) => ownedValue(value.array.slice(), value.shape),
});
