import { afterEach, describe, expect, it, vi } from "vitest";
import { A2SKernels, AdamKernels, simdKernelsSupported, WasmSimdUnavailableError } from "../src/index.js";

describe("feature detection", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("Node 20's WebAssembly runs the kernels", () => {
    expect(simdKernelsSupported()).toBe(true);
  });

  // No flag turns SIMD off in Node 20's V8, so an engine without it is played by its
  // WebAssembly.validate refusing the module, which is how such an engine answers.
  it("an engine that refuses the module: supported is false and creating kernels throws", () => {
    vi.spyOn(WebAssembly, "validate").mockReturnValue(false);
    expect(simdKernelsSupported()).toBe(false);
    const message = "this engine's WebAssembly has no SIMD: use a JavaScript kernel";
    expect(() => new A2SKernels([4])).toThrow(new WasmSimdUnavailableError(message));
    expect(() => new AdamKernels([4])).toThrow(new WasmSimdUnavailableError(message));
  });
});
