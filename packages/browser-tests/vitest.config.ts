import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The autoruns on tfjs's cpu backend and on SwiftShader's WebGL are the slow ones; the
    // limit leaves room for a machine shared with other work.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
