/**
 * The STREAM triad on Float32Array, the yardstick for the fused kernel: the fastest a
 * memory-bound loop over float32 arrays runs in this JavaScript engine on this machine.
 */

/**
 * `a[i] = b[i] + s * c[i]` over arrays passed as arguments, as a kernel receives them.
 * V8 then reloads each array's base and length inside the loop, which costs this loop
 * more than half the bandwidth that {@link closureTriad} reaches.
 */
export function triad(a: Float32Array, b: Float32Array, c: Float32Array, s: number): void {
  const n = a.length;
  for (let i = 0; i < n; i++) a[i] = (b[i] as number) + s * (c[i] as number);
}

/**
 * The same triad over arrays and a length that the loop's closure holds as constants, so
 * V8 specialises the loop to them: the best case, the bandwidth a JavaScript loop over
 * float32 arrays reaches on this machine, and the yardstick for the fused kernel.
 */
export function closureTriad(n: number): { run: () => void; a: Float32Array } {
  const { a, b, c } = triadArrays(n);
  return {
    run: () => {
      for (let i = 0; i < n; i++) a[i] = (b[i] as number) + 3 * (c[i] as number);
    },
    a,
  };
}

/** Bytes one triad moves per element: two float32 reads and one write. */
export const TRIAD_BYTES_PER_ELEMENT = 12;

/**
 * Bytes the fused A2S kernel moves per parameter: the curvature pass reads g and prev
 * (8); the update pass reads param, g, m, v, buf (20) and writes param, m, v, buf, prev (20).
 */
export const FUSED_A2S_BYTES_PER_PARAM = 48;

/** Gigabytes per second for `bytes` moved in `ms` milliseconds. */
export function gigabytesPerSecond(bytes: number, ms: number): number {
  return bytes / (ms * 1e6);
}

export function triadArrays(n: number): { a: Float32Array; b: Float32Array; c: Float32Array } {
  const a = new Float32Array(n);
  const b = new Float32Array(n).fill(1);
  const c = new Float32Array(n).fill(2);
  return { a, b, c };
}
