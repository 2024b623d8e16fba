import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One autorun on tfjs's cpu backend or on SwiftShader's WebGL takes about half a minute
    // on two cores; the limit leaves room for a loaded machine.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
