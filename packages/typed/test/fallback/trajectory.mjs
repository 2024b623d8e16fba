// Ten A2S steps on float32 tensors with the settings given, for the fallback test: run in
// a Node without WebAssembly (`node --no-expose-wasm trajectory.mjs`, printing JSON), and
// imported by the test to run the same steps in its own process.
// Plain JavaScript over the built package: a child process runs outside vitest's transform.
import { fileURLToPath } from "node:url";

/** The steps with the package's `A2S`; parameters as plain arrays of numbers. */
export function trajectory(typed, settings) {
  const values = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(k * 3.3 + i * 0.61));
  const optimizer = new typed.A2S({ curvatureK: 0.5, weightDecay: 0.01, clipNorm: 2 }, settings);
  const given = { W: values(37, 0), b: values(8, 1) };
  const { params, grads } = optimizer.bind(given);
  for (let step = 1; step <= 10; step++) {
    for (const [name, p] of Object.entries(params)) {
      grads[name].set(p.map((x, i) => x - 0.5 + 0.3 * Math.cos(step * 1.7 + i)));
    }
    optimizer.update(params, grads);
  }
  return {
    kernel: optimizer.kernel,
    bindReturnsGiven: params === given,
    params: Object.fromEntries(Object.entries(params).map(([name, p]) => [name, Array.from(p)])),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const typed = await import("@a2s/typed");
  process.stdout.write(JSON.stringify({ webAssembly: typeof WebAssembly, ...trajectory(typed, {}) }));
}
