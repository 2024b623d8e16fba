import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";
import { tfjsAdapter } from "./adapter.js";

conformanceSuite(tfjsAdapter("cpu"), { peers: [typedAdapter("fused")] });
