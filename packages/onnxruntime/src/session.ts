/** Creating onnxruntime sessions for the graphs of this package. */
import { InferenceSession } from "onnxruntime-node";

/**
 * Defaults chosen for small graphs run many times: every graph optimisation, nodes run
 * one after another (the graphs are chains; parallel execution only adds hand-offs),
 * and one intra-op thread, since each kernel works on at most a few hundred thousand
 * floats and thread wake-ups cost more than they save there (measured in bench/).
 */
export const DEFAULT_SESSION_OPTIONS: Readonly<InferenceSession.SessionOptions> = Object.freeze({
  graphOptimizationLevel: "all",
  executionMode: "sequential",
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});

/** A session over model bytes, with the defaults above overlaid by `options`. */
export function createSession(
  bytes: Uint8Array,
  options?: InferenceSession.SessionOptions,
): Promise<InferenceSession> {
  return InferenceSession.create(bytes, { ...DEFAULT_SESSION_OPTIONS, ...options });
}
