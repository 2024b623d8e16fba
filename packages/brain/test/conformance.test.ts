import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";
import { brainAdapter } from "./conformance-adapter.js";

// @a2s/typed is the peer whose checkpoints must cross both ways (paired on A2S in float32,
// the kinds and dtypes both adapters offer).
conformanceSuite(brainAdapter(), { peers: [typedAdapter("fused")] });
