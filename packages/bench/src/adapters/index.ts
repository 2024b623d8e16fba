/** Every adapter the bench knows, each loaded only when the run reaches it. */
import { loadOnnxruntime } from "./onnxruntime.js";
import { loadTfjs, TFJS_ROWS } from "./tfjs.js";
import { loadTyped, loadTypedSimd, TYPED_BOUND_ROW, TYPED_FUSED_ROW, TYPED_SIMD_ROW } from "./typed.js";
import type { AdapterFamily } from "./types.js";
import { loadWasmKernels, WASM_ROW } from "./wasm-kernels.js";

export const ADAPTER_FAMILIES: readonly AdapterFamily[] = [
  // Typed's default (SIMD) rows first, right after the C limit's, then the WebAssembly
  // kernels on their own, then typed's JavaScript kernels.
  { names: [TYPED_SIMD_ROW, TYPED_BOUND_ROW], load: loadTypedSimd },
  { names: [WASM_ROW], load: loadWasmKernels },
  { names: [TYPED_FUSED_ROW, "typed generic"], load: loadTyped },
  { names: TFJS_ROWS, load: loadTfjs },
  { names: ["onnxruntime"], load: loadOnnxruntime },
];
