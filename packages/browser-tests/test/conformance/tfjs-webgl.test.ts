/**
 * @a2s/tfjs's conformance tiers that need no files (math, bad input, state) inside
 * Chromium on tfjs's webgl backend, with @a2s/typed as the peer for checkpoints. The adapter
 * is @a2s/tfjs's own test adapter, the one its Node tests run.
 */
import { badInputTier, mathTier, stateTier } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";
import { tfjsAdapter } from "../../../tfjs/test/adapter.js";
import { useBackend } from "./tfjs-backends.js";

const adapter = tfjsAdapter("webgl", useBackend);
mathTier(adapter, []);
badInputTier(adapter);
stateTier(adapter, { peers: [typedAdapter("fused")] });
