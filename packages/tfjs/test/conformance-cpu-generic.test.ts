import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";
import { tfjsAdapter } from "./adapter.js";
import { useBackend } from "./backends.js";

// The generic path (core's transforms as tfjs operations) held to the same answers as the
// fused kernel, which conformance-cpu.test.ts runs (the default).
conformanceSuite(tfjsAdapter("cpu", useBackend, "generic"), { peers: [typedAdapter("fused")] });
