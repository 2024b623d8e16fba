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

describe("runs outside Node", () => {
  // Browsers have none of Node's modules or globals: the module comes from base64 via atob.
  it("the sources import no Node module and use no Node global", async () => {
    const { readdir, readFile } = await import("node:fs/promises");
    const dir = new URL("../src/", import.meta.url);
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".ts"));
    expect(files).toContain("module.ts");
    for (const file of files) {
      // Comments may name what the code avoids.
      const code = (await readFile(new URL(file, dir), "utf8")).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(code, file).not.toMatch(/from "node:|\bBuffer\b|\bprocess\.|\brequire\(|__dirname|import\.meta/);
    }
  });
});
