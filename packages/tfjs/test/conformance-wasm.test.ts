import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";
import { tfjsAdapter } from "./adapter.js";
import { useBackend } from "./backends.js";

conformanceSuite(tfjsAdapter("wasm", useBackend), { peers: [typedAdapter("fused")] });
