/**
 * `max |a - e| / max |e|` over all tensors of one array together: the conformance suite's
 * normwise relative error, with NaN counted as a failure (Math.max would hide it).
 */
export function relativeError(
  actual: readonly ArrayLike<number>[],
  expected: readonly ArrayLike<number>[],
): number {
  let diff = 0;
  let scale = 0;
  actual.forEach((a, i) => {
    const e = expected[i] as ArrayLike<number>;
    for (let k = 0; k < e.length; k++) {
      const d = Math.abs((a[k] as number) - (e[k] as number));
      diff = d > diff || Number.isNaN(d) ? d : diff;
      scale = Math.max(scale, Math.abs(e[k] as number));
    }
  });
  return diff / scale;
}
