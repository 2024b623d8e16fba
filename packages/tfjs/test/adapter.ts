/**
 * The conformance suite's view of this package on one backend. The suite names tensors
 * W, b, conv, s in every optimizer it makes, but tfjs variable names are global, so each
 * optimizer's variables get a unique prefix; checkpoints and errors are translated back
 * to the suite's names at this boundary.
 */
import type { AdapterDescription, HostTensor, OptimizerUnderTest } from "@a2s/conformance";
import * as tf from "@tensorflow/tfjs";
import { A2SError, A2SOptimizer, decodeCheckpoint, encodeCheckpoint } from "../src/index.js";
import { type BackendName, useBackend } from "./backends.js";

let created = 0;

/** The same error, with the prefix taken out of its tensor name and message. */
function withSuiteNames(error: unknown, prefix: string): unknown {
  if (!(error instanceof A2SError)) return error;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error)), error, {
    message: error.message.replaceAll(prefix, ""),
  });
  if (typeof copy.tensor === "string") copy.tensor = copy.tensor.replace(prefix, "");
  return copy;
}

function renamed(bytes: Uint8Array, rename: (name: string) => string): Uint8Array {
  const checkpoint = decodeCheckpoint(bytes);
  const tensors = Object.fromEntries(
    Object.entries(checkpoint.tensors).map(([name, t]) => [rename(name), t]),
  );
  return encodeCheckpoint({ ...checkpoint, tensors });
}

export function tfjsAdapter(backend: BackendName): AdapterDescription {
  return {
    name: `tfjs ${backend}`,
    dtypes: ["float32"],
    kinds: ["A2S"],
    async create(_kind, options, hostParams: Record<string, HostTensor>) {
      await useBackend(backend);
      const prefix = `conformance${++created}/`;
      const variables: Record<string, tf.Variable> = {};
      for (const [name, { shape, data }] of Object.entries(hostParams)) {
        variables[name] = tf.variable(
          tf.tensor(Float32Array.from(data), shape, "float32"),
          true,
          prefix + name,
        );
      }
      let optimizer: A2SOptimizer;
      try {
        optimizer = new A2SOptimizer(options, Object.values(variables));
      } catch (error) {
        tf.dispose(Object.values(variables));
        throw error;
      }
      const translated = <R>(call: () => R): R => {
        try {
          return call();
        } catch (error) {
          throw withSuiteNames(error, prefix);
        }
      };
      const under: OptimizerUnderTest = {
        step(grads) {
          // Each gradient as given: in its variable's shape when the sizes agree, flat otherwise.
          const named = Object.entries(grads).map(([name, g]) => {
            const variable = variables[name];
            const shape = variable !== undefined && variable.size === g.length ? variable.shape : [g.length];
            return { name: prefix + name, tensor: tf.tensor(Float32Array.from(g), shape, "float32") };
          });
          try {
            translated(() => optimizer.applyGradients(named));
          } finally {
            tf.dispose(named.map((entry) => entry.tensor));
          }
        },
        async read() {
          const out: Record<string, Float64Array> = {};
          for (const [name, variable] of Object.entries(variables))
            out[name] = Float64Array.from(await variable.data());
          return out;
        },
        async save() {
          return renamed(await optimizer.saveCheckpoint(), (name) => name.replace(prefix, ""));
        },
        // Bytes go in untouched (damaged ones must reach the optimizer); the suite's tensor
        // order is the variables' order, so they are matched by position.
        load: (bytes) => translated(() => optimizer.loadCheckpoint(bytes, { match: "position" })),
        async diagnostics() {
          const d = await optimizer.readDiagnostics();
          if (d === undefined) throw new Error("no step taken yet");
          return d;
        },
        dispose() {
          optimizer.dispose();
          tf.dispose(Object.values(variables));
        },
      };
      return under;
    },
  };
}
