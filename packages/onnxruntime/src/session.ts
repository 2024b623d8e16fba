/** Creating onnxruntime sessions for the graphs of this package. */
import type { InferenceSession } from "onnxruntime-common";
import type { OnnxRuntime } from "./runtime.js";

/**
 * Defaults chosen for small graphs run many times: every graph optimisation, nodes run
 * one after another (the graphs are mostly chains; parallel execution only adds
 * hand-offs), and one thread, which never loses much when other work shares the machine
 * (the README's Speed section has the measurements); `intraOpNumThreads` overrides it.
 */
export const DEFAULT_SESSION_OPTIONS: Readonly<InferenceSession.SessionOptions> = Object.freeze({
  graphOptimizationLevel: "all",
  executionMode: "sequential",
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});

/** A session over model bytes, with the defaults above overlaid by `options`. */
export function createSession(
  runtime: OnnxRuntime,
  bytes: Uint8Array,
  options?: InferenceSession.SessionOptions,
): Promise<InferenceSession> {
  return runtime.InferenceSession.create(bytes, { ...DEFAULT_SESSION_OPTIONS, ...options });
}
