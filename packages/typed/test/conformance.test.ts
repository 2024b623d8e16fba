import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "../src/conformance-adapter.js";

const fused = typedAdapter("fused");
const generic = typedAdapter("generic");

conformanceSuite(fused, { peers: [generic] });
conformanceSuite(generic, { peers: [fused] });
