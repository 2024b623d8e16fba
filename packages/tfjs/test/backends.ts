/** Test helper: selects a real tfjs backend (cpu, or wasm with its .wasm files from the package). */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export type BackendName = "cpu" | "wasm";
export const BACKENDS: readonly BackendName[] = ["cpu", "wasm"];

const require = createRequire(import.meta.url);
// Node has no URL to fetch the .wasm from; the package ships them in its dist folder.
const wasmDir = `${path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"))}/dist/`;
setWasmPaths(wasmDir);

export async function useBackend(name: BackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to start`);
  await tf.ready();
  // setBackend falls back silently in some versions; a test on the wrong backend proves nothing.
  if (tf.getBackend() !== name) throw new Error(`tfjs runs on ${tf.getBackend()}, not ${name}`);
}
