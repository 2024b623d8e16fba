/** The variants of the WebAssembly comparison, as the report names them. */

/** Where the parameters, gradient and state meet the kernels' memory. */
export type Placement = "views" | "copy" | "all";

/** What each placement copies per step. */
export const PLACEMENT_LABELS: Readonly<Record<Placement, string>> = {
  all: "wasm simd, every array copied in and out",
  copy: "wasm simd, state in wasm memory, p and g copied",
  views: "wasm simd, p and g in wasm memory (no copies)",
};

export const TYPED_FUSED_LABEL = "typed fused (JavaScript, float64 arithmetic)";
export const FROUND_LABEL = "JavaScript, float32 arithmetic (Math.fround)";
