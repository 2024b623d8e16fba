import { defineConfig } from "vite";
import { mnistSubset } from "./plugins/mnist-subset.js";
import { DATA_FOLDER, TEST_IMAGES, TRAIN_IMAGES } from "./src/data-subset.js";

export default defineConfig({
  // Relative, so the built page works from any folder of any static server.
  base: "./",
  plugins: [mnistSubset({ trainImages: TRAIN_IMAGES, testImages: TEST_IMAGES, folder: DATA_FOLDER })],
  resolve: {
    // @a2s/onnxruntime's default runtime (never loaded here: the onnxruntime stack passes its
    // own) imports onnxruntime-web's every-backend bundle, whose WebGPU binary is 28 MB; the
    // WebAssembly-only build is the one the page runs, and the one it ships.
    alias: [{ find: /^onnxruntime-web$/, replacement: "onnxruntime-web/wasm" }],
  },
  // The worker loads its stacks on demand, which needs module workers.
  worker: { format: "es" },
  build: { target: "es2022", chunkSizeWarningLimit: 4096 },
});
