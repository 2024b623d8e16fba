/** GFLOP/s of the typed MLP's matrix multiply on the product that dominates a step. */
import type { Mnist } from "@a2s/mnist";
import { timeSideBySide } from "./measure.js";
import type { MatmulResult } from "./results.js";
import { randomTensors } from "./shapes.js";

const [M, K, N] = [64, 784, 128];

/**
 * A batch of 64 images times W1, twice: with dense random inputs (every multiply done,
 * the kernel's raw rate) and with a real MNIST batch, where the kernel skips the ~80% of
 * pixels that are zero; both count the 2*m*k*n flops of a dense product.
 */
export async function matmulRows(mnist: Mnist): Promise<MatmulResult[]> {
  const { matmul } = await import("@a2s/mlp");
  const { dense, w } = randomTensors({ dense: [M * K], w: [K * N] }, 1, 7) as Record<string, Float32Array>;
  const pixels = mnist.train.images.subarray(0, M * K);
  const c = new Float32Array(M * N);
  const timings = await timeSideBySide(
    [
      { run: () => matmul(dense as Float32Array, w as Float32Array, c, M, K, N), async: false },
      { run: () => matmul(pixels, w as Float32Array, c, M, K, N), async: false },
    ],
    { rounds: 2, iterations: 50, time: 200, warmupIterations: 20, warmupTime: 100 },
  );
  const sources = ["dense random input", "MNIST batch (zero pixels skipped)"];
  return timings.map((t, i) => ({
    shape: [M, K, N],
    ms: t.ms,
    gflops: (2 * M * K * N) / (t.ms * 1e6),
    source: sources[i] as string,
  }));
}
