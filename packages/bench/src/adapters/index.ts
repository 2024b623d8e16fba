/** Every adapter the bench knows, each loaded only when the run reaches it. */
import { loadOnnxruntime } from "./onnxruntime.js";
import { loadTfjs } from "./tfjs.js";
import { loadTyped } from "./typed.js";
import type { AdapterFamily } from "./types.js";
import { loadWasmKernels, WASM_ROW } from "./wasm-kernels.js";

export const ADAPTER_FAMILIES: readonly AdapterFamily[] = [
  { names: ["typed fused", "typed generic"], load: loadTyped },
  { names: [WASM_ROW], load: loadWasmKernels },
  { names: ["tfjs cpu", "tfjs wasm"], load: loadTfjs },
  { names: ["onnxruntime"], load: loadOnnxruntime },
];
