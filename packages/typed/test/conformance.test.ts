import { conformanceSuite, propertyTier } from "@a2s/conformance";
import { typedAdapter } from "../src/conformance-adapter.js";

const fused = typedAdapter("fused");
const generic = typedAdapter("generic");

conformanceSuite(fused, { peers: [generic] });
conformanceSuite(generic, { peers: [fused] });

// An adapter without baselines: the w = 1 / w = 0 properties then compare against the oracle.
propertyTier({ ...typedAdapter("fused"), name: "typed (A2S only)", kinds: ["A2S"] });
