import type { AdapterDescription, OptimizerUnderTest } from "@a2s/conformance";
import { conformanceSuite } from "@a2s/conformance";
import { A2S } from "@a2s/typed";
import { brainAdapter } from "./conformance-adapter.js";

/** @a2s/typed's A2S over float32 arrays: the peer whose checkpoints must cross both ways. */
const typedPeer: AdapterDescription = {
  name: "typed A2S",
  dtypes: ["float32"],
  kinds: ["A2S"],
  create(_kind, options, hostParams) {
    const optimizer = new A2S(options);
    const params = Object.fromEntries(
      Object.entries(hostParams).map(([n, t]) => [n, Float32Array.from(t.data)]),
    );
    const under: OptimizerUnderTest = {
      step: (grads) =>
        optimizer.update(
          params,
          Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, Float32Array.from(g)])),
        ),
      read: () => Object.fromEntries(Object.entries(params).map(([n, p]) => [n, Float64Array.from(p)])),
      save: () => optimizer.saveCheckpoint(),
      load: (bytes) => optimizer.loadCheckpoint(bytes),
    };
    return under;
  },
};

conformanceSuite(brainAdapter(), { peers: [typedPeer] });
