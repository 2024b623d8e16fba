/** `@a2s/typed` as a conformance peer, so checkpoints are exchanged both ways (float32 A2S). */

import type { AdapterDescription, OptimizerUnderTest } from "@a2s/conformance";
import { A2S } from "@a2s/typed";

export const typedPeer: AdapterDescription = {
  name: "typed (peer)",
  dtypes: ["float32"],
  kinds: ["A2S"],
  create(_kind, options, hostParams) {
    const optimizer = new A2S(options);
    const params = Object.fromEntries(
      Object.entries(hostParams).map(([name, t]) => [name, Float32Array.from(t.data)]),
    );
    const under: OptimizerUnderTest = {
      step: (grads) =>
        optimizer.update(
          params,
          Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Float32Array.from(g)])),
        ),
      read: () => Object.fromEntries(Object.entries(params).map(([k, p]) => [k, Float64Array.from(p)])),
      save: () => optimizer.saveCheckpoint(),
      load: (bytes) => optimizer.loadCheckpoint(bytes),
    };
    return under;
  },
};
