/** Every adapter the bench knows, each loaded only when the run reaches it. */
import { loadOnnxruntime } from "./onnxruntime.js";
import { loadTfjs } from "./tfjs.js";
import { loadTyped } from "./typed.js";
import type { AdapterFamily } from "./types.js";
import { loadWasmKernels, WASM_ROW } from "./wasm-kernels.js";

export const ADAPTER_FAMILIES: readonly AdapterFamily[] = [
  // The WebAssembly kernels first, so their rows sit between the C limit's and typed fused's.
  { names: [WASM_ROW], load: loadWasmKernels },
  { names: ["typed fused", "typed generic"], load: loadTyped },
  { names: ["tfjs cpu", "tfjs wasm"], load: loadTfjs },
  { names: ["onnxruntime"], load: loadOnnxruntime },
];
