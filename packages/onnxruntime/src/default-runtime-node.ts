/** The default runtime outside browsers. */
import * as ort from "onnxruntime-node";
import type { OnnxRuntime } from "./runtime.js";

export const runtime: OnnxRuntime = ort;
