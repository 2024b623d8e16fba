import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";
import { brainAdapter } from "./conformance-adapter.js";

// @a2s/typed is the peer whose checkpoints must cross both ways (every algorithm, in
// float32, the dtype both adapters offer). The training tier is left out: it trains the
// seed's softmax MLP on batches of 64, which brain 1.6.1 (no softmax, one update per
// pattern) cannot express; test/mnist.test.ts trains brain's own network on MNIST instead.
conformanceSuite(brainAdapter(), { peers: [typedAdapter("fused")] });
