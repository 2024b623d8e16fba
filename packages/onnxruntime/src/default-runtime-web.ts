/** The default runtime under the `browser` condition. */
import * as ort from "onnxruntime-web";
import type { OnnxRuntime } from "./runtime.js";

export const runtime: OnnxRuntime = ort;
