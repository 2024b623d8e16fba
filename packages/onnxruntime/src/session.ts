/** Creating onnxruntime sessions for the graphs of this package. */
import { InferenceSession } from "onnxruntime-node";

/**
 * Defaults chosen for small graphs run many times: every graph optimisation, nodes run
 * one after another (the graphs are mostly chains; parallel execution only adds
 * hand-offs), and one thread. Measured on a 2-core machine (bench/epoch.mjs): when idle,
 * two threads cut an MNIST epoch's wall time by 15-20% at twice the CPU time; when other
 * jobs shared it, two threads made each step about twice as slow. One thread is the
 * choice that never loses much; `intraOpNumThreads` overrides it.
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
