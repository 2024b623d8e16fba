/** The compiled kernels module, shared by every kernel set, and whether this engine can run it. */
import { WasmSimdUnavailableError } from "./errors.js";
import { KERNELS_WASM_BASE64 } from "./generated/kernels-wasm.js";

/** What assembly/kernels.ts exports; every array argument is a byte offset into the memory. */
export interface KernelExports {
  gradientStats(
    g: number,
    prev: number,
    p: number,
    n: number,
    clip: number,
    withParams: number,
    out: number,
  ): void;
  gradientStatsExact(
    g: number,
    prev: number,
    p: number,
    n: number,
    clip: number,
    withParams: number,
    out: number,
  ): void;
  firstNonFinite(g: number, n: number): number;
  a2sUpdate(
    p: number,
    g: number,
    m: number,
    v: number,
    buf: number,
    prev: number,
    n: number,
    clip: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    momentum: number,
    epsilon: number,
    adamRate: number,
    invBc2: number,
    sgdRate: number,
    decayRate: number,
  ): void;
  adamUpdate(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    clip: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    epsilon: number,
    rate: number,
    invBc2: number,
    decayRate: number,
  ): void;
  rmspropUpdate(
    p: number,
    g: number,
    v: number,
    n: number,
    clip: number,
    decay: number,
    oneMinusDecay: number,
    epsilon: number,
    rate: number,
    decayRate: number,
  ): void;
  sgdMomentumUpdate(
    p: number,
    g: number,
    buf: number,
    n: number,
    clip: number,
    momentum: number,
    rate: number,
    decayRate: number,
  ): void;
}

let bytes: Uint8Array | undefined;
let compiled: WebAssembly.Module | undefined;

function kernelBytes(): Uint8Array {
  // atob, not Buffer: the same code runs in browsers.
  bytes ??= Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));
  return bytes;
}

/**
 * Whether this engine can run the kernels: it has WebAssembly and accepts the module, SIMD
 * instructions included. Validating the module itself answers exactly that.
 */
export function simdKernelsSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(kernelBytes());
}

/** An instance over `memory`; the module is compiled once, synchronously (it is a few kilobytes). */
export function instantiate(memory: WebAssembly.Memory): KernelExports {
  if (!simdKernelsSupported()) {
    throw new WasmSimdUnavailableError(
      typeof WebAssembly === "object"
        ? "this engine's WebAssembly has no SIMD: use a JavaScript kernel"
        : "this engine has no WebAssembly: use a JavaScript kernel",
    );
  }
  compiled ??= new WebAssembly.Module(kernelBytes());
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as KernelExports;
}
