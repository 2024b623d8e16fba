/**
 * The MLP trained by @a2s/onnxruntime's trainer: forward, loss, backward and the optimizer's
 * step in one onnxruntime-web run per batch, on its WebAssembly backend. Initial weights are
 * @a2s/mlp's, so every stack starts from the same point.
 */
import { Mlp, type MlpParamName, PARAM_NAMES } from "@a2s/mlp";
import { A2S, Adam, createTrainer, type Optimizer, RMSProp, SGDMomentum } from "@a2s/onnxruntime";
import wasmModule from "onnxruntime-web/ort-wasm-simd-threaded.mjs?url";
import wasmBinary from "onnxruntime-web/ort-wasm-simd-threaded.wasm?url";
import * as ort from "onnxruntime-web/wasm";
import type { NumericOptions, OptimizerId } from "../optimizers.js";
import type { Stack } from "./stack.js";

// onnxruntime-web loads its WebAssembly module by these URLs; Vite serves both files from
// node_modules, so nothing is fetched from elsewhere.
ort.env.wasm.wasmPaths = { mjs: wasmModule, wasm: wasmBinary };
// Threads need a cross-origin-isolated page (SharedArrayBuffer), which a static server
// does not give; one thread is what runs anywhere, and the kernels here are small.
ort.env.wasm.numThreads = 1;

const settings = { runtime: ort };
const OPTIMIZERS: Record<OptimizerId, (o: NumericOptions) => Optimizer> = {
  a2s: (o) => new A2S(o, settings),
  adam: (o) => new Adam(o, settings),
  rmsprop: (o) => new RMSProp(o, settings),
  sgd: (o) => new SGDMomentum(o, settings),
};

export const onnxruntimeStack: Stack = {
  async create({ optimizer, options, seed }) {
    const opt = OPTIMIZERS[optimizer](options);
    // The trainer copies the initial weights into buffers of its own.
    const trainer = createTrainer({ model: { params: new Mlp({ seed }).params }, optimizer: opt });
    return {
      backend: "onnxruntime-web wasm",
      async step(x, y) {
        const loss = await trainer.trainStep(x, y);
        const diagnostics = optimizer === "a2s" ? opt.diagnostics : undefined;
        return diagnostics ? { loss, w: diagnostics.w, lrScale: diagnostics.lrScale } : { loss };
      },
      accuracy: (images, labels) => trainer.evaluate(images, labels),
      async parameters() {
        const params = trainer.getParameters();
        return Object.fromEntries(PARAM_NAMES.map((name) => [name, params[name]])) as Record<
          MlpParamName,
          Float32Array
        >;
      },
      dispose() {
        void trainer.dispose();
      },
    };
  },
};
