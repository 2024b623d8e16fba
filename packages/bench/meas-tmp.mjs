import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import path from "node:path";
import { a2s } from "@a2s/tfjs";
const require = createRequire(import.meta.url);
setWasmPaths(`${path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"))}/dist/`);
const sizes = process.argv.slice(2).map(Number);
for (const backend of ["cpu", "wasm"]) {
  await tf.setBackend(backend); await tf.ready();
  for (const n of sizes) {
    const res = {};
    for (const [label, make] of [["fused", () => a2s()], ["generic", () => a2s({}, { kernel: "generic" })], ["adam", () => tf.train.adam(0.001)]]) {
      if (label === "generic" && backend === "cpu" && n >= 1e7) continue;
      const v = tf.variable(tf.randomNormal([n]), true, `v${label}${backend}${n}`);
      const gs = [tf.randomNormal([n], 0, 0.01), tf.randomNormal([n], 0, 0.01)];
      const opt = make();
      const reps = n >= 1e7 ? 4 : n >= 1e6 ? 8 : 40;
      for (let i = 0; i < 3; i++) opt.applyGradients({ [v.name]: gs[i & 1] });
      const times = [];
      for (let i = 0; i < reps; i++) { const t0 = performance.now(); opt.applyGradients({ [v.name]: gs[i & 1] }); v.dataSync(); times.push(performance.now() - t0); }
      times.sort((a, b) => a - b);
      res[label] = times[times.length >> 1];
      opt.dispose(); v.dispose(); tf.dispose(gs);
    }
    console.log(backend, n, JSON.stringify(Object.fromEntries(Object.entries(res).map(([k, x]) => [k, +x.toFixed(2)]))), "fused/adam", (res.fused / res.adam).toFixed(2), "fused/generic", res.generic ? (res.fused / res.generic).toFixed(2) : "-");
  }
}
