/** Where each tensor's arrays live in a kernel set's memory. */
import { KernelInputError } from "./errors.js";

/** Bytes 0..63 hold pass 1's f64 results; arrays start after them. */
export const STATS_OFFSET = 0;
/** Room for pass 1's results: seven f64, rounded up to a cache line. */
export const STATS_BYTES = 64;
const FIRST_ARRAY = 64;
/** Each array starts on a cache line: aligned vector loads, and no line shared by two arrays. */
const ALIGN = 64;
const PAGE = 65_536;
/** WebAssembly's 32-bit memories hold at most 65,536 pages (4 GiB). */
const MAX_PAGES = 65_536;

export interface Layout {
  /** Byte offsets per tensor, one per array name, in the order given. */
  offsets: number[][];
  pages: number;
}

export function checkLengths(lengths: readonly number[]): void {
  if (!Array.isArray(lengths) || lengths.length === 0)
    throw new KernelInputError(`lengths must be a non-empty array of tensor lengths, got ${String(lengths)}`);
  lengths.forEach((n, i) => {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new KernelInputError(`lengths[${i}] must be a whole number >= 0, got ${String(n)}`);
  });
}

export function layout(lengths: readonly number[], arrays: number): Layout {
  checkLengths(lengths);
  let end = FIRST_ARRAY;
  const offsets = lengths.map((n) => {
    const stride = Math.ceil((4 * n) / ALIGN) * ALIGN;
    const at = Array.from({ length: arrays }, (_, k) => end + k * stride);
    end += arrays * stride;
    return at;
  });
  const pages = Math.max(1, Math.ceil(end / PAGE));
  if (pages > MAX_PAGES) {
    throw new KernelInputError(
      `${lengths.reduce((a, b) => a + b, 0)} parameters need ${end} bytes of kernel memory, ` +
        "more than a WebAssembly memory holds (4 GiB)",
    );
  }
  return { offsets, pages };
}
