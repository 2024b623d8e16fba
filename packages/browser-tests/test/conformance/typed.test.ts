/**
 * @a2s/typed's conformance tiers that need no files (math, bad input, state) inside
 * Chromium: the default SIMD kernel (WebAssembly in the browser's engine) and the
 * JavaScript fused loop, each the other's peer for checkpoints.
 */
import { badInputTier, mathTier, stateTier } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";

const simd = typedAdapter("simd");
const fused = typedAdapter("fused");

for (const [adapter, peer] of [
  [simd, fused],
  [fused, simd],
] as const) {
  mathTier(adapter, []);
  badInputTier(adapter);
  stateTier(adapter, { peers: [peer] });
}
