/**
 * Which onnxruntime runs the graphs: onnxruntime-node by default, onnxruntime-web where
 * the `browser` export condition holds (bundlers for the browser set it), or any module
 * of the same API passed in as `runtime`.
 */
import { InvalidOptionError } from "@a2s/core";
import type { Env, InferenceSessionFactory, TensorConstructor } from "onnxruntime-common";

/** What this package uses of an onnxruntime module (`import * as ort from "onnxruntime-web"`). */
export interface OnnxRuntime {
  readonly InferenceSession: InferenceSessionFactory;
  readonly Tensor: TensorConstructor;
  readonly env: Env;
}

/** The runtime of the `browser` condition or, elsewhere, onnxruntime-node; loaded on first use. */
export async function defaultRuntime(): Promise<OnnxRuntime> {
  const module = await import("#default-runtime");
  return module.runtime;
}

/** Checks a runtime given as an option. */
export function checkRuntime(runtime: unknown): OnnxRuntime | undefined {
  if (runtime === undefined) return undefined;
  const candidate = runtime as Partial<OnnxRuntime> | null;
  if (
    typeof candidate?.InferenceSession?.create !== "function" ||
    typeof candidate.Tensor !== "function" ||
    typeof candidate.env !== "object"
  ) {
    throw new InvalidOptionError(
      "runtime",
      runtime,
      'an onnxruntime module (import * as ort from "onnxruntime-node" or "onnxruntime-web")',
    );
  }
  return candidate as OnnxRuntime;
}

/**
 * Whether the runtime writes a run's outputs into tensors handed to it: onnxruntime-node
 * does, which saves allocating and copying every output; onnxruntime-web's WebAssembly
 * backend leaves such tensors untouched and returns new ones.
 */
export function writesIntoGivenOutputs(runtime: OnnxRuntime): boolean {
  return typeof runtime.env.versions?.node === "string";
}
