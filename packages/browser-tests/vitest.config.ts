import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { nodeCommands } from "./test/across/node-side.js";
import { CHROMIUM, CHROMIUM_FLAGS } from "./test/chromium.js";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "playground",
          include: ["test/*.test.ts"],
          // The autoruns on tfjs's cpu backend and on SwiftShader's WebGL are the slow ones;
          // the limit leaves room for a machine shared with other work.
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "conformance in Chromium",
          include: ["test/conformance/*.test.ts"],
          // tfjs's webgl backend runs on SwiftShader (no GPU): its steps are the slow ones.
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            // Debian's Chromium, as for the playground: the provider launches it and never
            // downloads a browser of its own.
            provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_FLAGS } }),
            instances: [{ browser: "chromium" }],
            // One file at a time: SwiftShader's WebGL and the wasm kernels each keep a core
            // busy, and two cores are all CI has.
            fileParallelism: false,
            screenshotFailures: false,
            // The Node half of the state tier across Node and the browser.
            commands: nodeCommands,
          },
        },
      },
    ],
  },
});
