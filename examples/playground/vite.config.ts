import { defineConfig } from "vite";
import { mnistSubset } from "./plugins/mnist-subset.js";
import { DATA_FOLDER, TEST_IMAGES, TRAIN_IMAGES } from "./src/data-subset.js";

export default defineConfig({
  // Relative, so the built page works from any folder of any static server.
  base: "./",
  plugins: [mnistSubset({ trainImages: TRAIN_IMAGES, testImages: TEST_IMAGES, folder: DATA_FOLDER })],
  // The worker loads its stacks on demand, which needs module workers.
  worker: { format: "es" },
  build: { target: "es2022", chunkSizeWarningLimit: 4096 },
});
