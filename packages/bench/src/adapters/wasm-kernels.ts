/**
 * Rows for @a2s/wasm-kernels: its SIMD kernels driven by a host step over the caller's own
 * Float32Arrays (parameters and gradient copied in, parameters out), as @a2s/typed would
 * use them.
 */
import { wasmA2SStepper, wasmAdamStepper } from "../wasm-host.js";
import type { AdapterSet } from "./types.js";

export const WASM_ROW = "wasm simd";

export async function loadWasmKernels(): Promise<AdapterSet> {
  const wasm = await import("@a2s/wasm-kernels");
  if (!wasm.simdKernelsSupported()) throw new Error("this engine's WebAssembly has no SIMD");
  return {
    steppers: [
      {
        name: WASM_ROW,
        cheapAtEverySize: true,
        make: async (kind, shapes) =>
          kind === "A2S" ? wasmA2SStepper(wasm, shapes, "copy") : wasmAdamStepper(wasm, shapes),
      },
    ],
    trainers: [],
  };
}
