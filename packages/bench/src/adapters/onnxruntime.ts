/** Rows for @a2s/onnxruntime: its graph optimizers and its MNIST trainer. */
import type { AdapterSet } from "./types.js";

// Not yet built while the adapter is written: a variable specifier keeps tsc from resolving it.
const PACKAGE: string = "@a2s/onnxruntime";

export async function loadOnnxruntime(): Promise<AdapterSet> {
  const adapter = (await import(PACKAGE)) as Record<string, unknown>;
  if (typeof adapter["createTrainer"] !== "function") {
    throw new Error("@a2s/onnxruntime does not export createTrainer() yet");
  }
  return { steppers: [], trainers: [] };
}
