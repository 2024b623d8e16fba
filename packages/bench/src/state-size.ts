/** Counting optimizer state from a core checkpoint: the slot arrays the optimizer holds. */
import { decodeCheckpoint } from "@a2s/core";
import type { StateSize } from "./adapters/types.js";

export function checkpointStateSize(bytes: Uint8Array): StateSize {
  const checkpoint = decodeCheckpoint(bytes);
  let total = 0;
  let bytesPerElement = 0;
  for (const tensor of Object.values(checkpoint.tensors)) {
    for (const slot of Object.values(tensor.slots)) {
      total += slot.byteLength;
      bytesPerElement = slot.BYTES_PER_ELEMENT;
    }
  }
  return { bytes: total, bytesPerElement, source: "checkpoint slots" };
}
