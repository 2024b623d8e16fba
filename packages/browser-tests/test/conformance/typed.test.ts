/**
 * @a2s/typed's conformance tiers that need no files (math, bad input, state) inside
 * Chromium: the default SIMD kernel (WebAssembly in the browser's engine) and the
 * JavaScript fused loop, each the other's peer for checkpoints.
 */
import { badInputTier, mathTier, stateTier } from "@a2s/conformance";
import { A2S } from "@a2s/typed";
import { typedAdapter } from "@a2s/typed/conformance";
import { expect, test } from "vitest";

// A kernel asked for where it cannot run falls back to the next one; the tiers below
// prove the SIMD kernel in the browser only if it is the one that runs here.
test("the SIMD kernel runs float32 steps in this browser", () => {
  const optimizer = new A2S();
  const params = { w: new Float32Array([1, 2, 3, 4]) };
  optimizer.update(params, { w: new Float32Array([0.1, -0.2, 0.3, -0.4]) });
  expect(optimizer.kernel).toBe("simd");
});

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
