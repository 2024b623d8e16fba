import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "../src/conformance-adapter.js";

// Every kernel a user can select, each with the others as peers (checkpoints cross both ways).
const simd = typedAdapter("simd");
const fused = typedAdapter("fused");
const generic = typedAdapter("generic");

conformanceSuite(simd, { peers: [fused] });
conformanceSuite(fused, { peers: [generic, simd] });
conformanceSuite(generic, { peers: [fused] });
