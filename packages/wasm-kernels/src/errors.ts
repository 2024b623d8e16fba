/** The errors this package throws. */

/** An argument the kernels cannot work with: the message names it and its value. Nothing was changed. */
export class KernelInputError extends RangeError {
  override name = "KernelInputError";
}

/**
 * This JavaScript engine cannot run the kernels: it has no WebAssembly, or its
 * WebAssembly lacks SIMD. Callers fall back to their JavaScript loops; check first with
 * `simdKernelsSupported()`.
 */
export class WasmSimdUnavailableError extends Error {
  override name = "WasmSimdUnavailableError";
}
