/**
 * The conformance suite's view of this package on one backend. The suite names the
 * tensors W, b, conv, s in every optimizer it makes, and keeps several alive at once;
 * tfjs variable names are global. So the parameters live on the host between steps, and
 * each step makes variables of those names, applies the gradients and reads them back
 * (also after a refused step, so that a partial change would show), then frees them:
 * groups, checkpoints and errors all speak the suite's names.
 */
import {
  type AdapterDescription,
  algorithmOf,
  type HostTensor,
  type OptimizerUnderTest,
} from "@a2s/conformance";
import * as tf from "@tensorflow/tfjs";
import { type Kernel, Optimizer } from "../src/index.js";
import { trainSeedMlp } from "./mlp.js";

interface HostParam {
  readonly shape: number[];
  readonly data: Float32Array;
}

/** Runs `use` with a variable per parameter; copies their values back and frees them after. */
function withVariables<R>(params: Record<string, HostParam>, use: (variables: tf.Variable[]) => R): R {
  const variables = Object.entries(params).map(([name, { shape, data }]) =>
    tf.variable(tf.tensor(data.slice(), shape, "float32"), true, name),
  );
  try {
    return use(variables);
  } finally {
    for (const variable of variables) (params[variable.name] as HostParam).data.set(variable.dataSync());
    tf.dispose(variables);
  }
}

/**
 * The adapter on `backend`, selected by `useBackend` before every optimizer and training
 * run. Node's selector ([`backends.ts`](./backends.ts)) and a browser's differ only in where
 * the wasm backend finds its binaries, so this module imports neither: it loads in both.
 * Its steps run on the fused kernel where one applies (the default: cpu and wasm) or always
 * on the generic path.
 */
export function tfjsAdapter<B extends string>(
  backend: B,
  useBackend: (name: B) => Promise<void>,
  kernel: Kernel = "fused",
): AdapterDescription {
  return {
    name: kernel === "fused" ? `tfjs ${backend}` : `tfjs ${backend} (${kernel})`,
    dtypes: ["float32"],
    async create(description, hostParams: Record<string, HostTensor>, _dtype, settings) {
      await useBackend(backend);
      const params: Record<string, HostParam> = Object.fromEntries(
        Object.entries(hostParams).map(([name, t]) => [
          name,
          { shape: t.shape, data: Float32Array.from(t.data) },
        ]),
      );
      // varList: a first step that leaves out a gradient is refused, as typed refuses a
      // parameter without its gradient.
      const optimizer = withVariables(
        params,
        (varList) => new Optimizer(algorithmOf(description), { ...settings, varList, kernel }),
      );
      const under: OptimizerUnderTest = {
        step(grads) {
          // Each gradient as given: in its variable's shape when the sizes agree, flat otherwise.
          const named = Object.entries(grads).map(([name, g]) => {
            const param = params[name];
            const shape = param !== undefined && param.data.length === g.length ? param.shape : [g.length];
            return { name, tensor: tf.tensor(Float32Array.from(g), shape, "float32") };
          });
          try {
            withVariables(params, () => optimizer.applyGradients(named));
          } finally {
            tf.dispose(named.map((entry) => entry.tensor));
          }
        },
        read: () =>
          Object.fromEntries(Object.entries(params).map(([name, p]) => [name, Float64Array.from(p.data)])),
        save: () => optimizer.saveCheckpoint(),
        load: (bytes) => optimizer.loadCheckpoint(bytes),
        diagnostics: () => optimizer.readDiagnostics(),
        dispose: () => optimizer.dispose(),
      };
      return under;
    },
    async train(request) {
      await useBackend(backend);
      return trainSeedMlp(request);
    },
  };
}
