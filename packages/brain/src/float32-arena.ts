import type { ArrayOps } from "@a2s/core";

/**
 * Core's `ArrayOps` over Float32Array, drawing every result from an arena that is
 * rewound before each step. `a2sUpdate` is pure data flow and calls the same operations
 * on the same lengths in the same order every step, so after the first two steps (the
 * first has no curvature term) the arena serves each call from the buffer it used the
 * step before: no allocation per step on a 100k-parameter network.
 *
 * A result is valid until the next {@link Float32Arena.rewind}; copy what must outlive it.
 */
export class Float32Arena implements ArrayOps<Float32Array> {
  private readonly buffers: Float32Array[] = [];
  private next = 0;

  /** Makes every buffer available again; results handed out so far become scratch. */
  rewind(): void {
    this.next = 0;
  }

  private take(length: number): Float32Array {
    let buffer = this.buffers[this.next];
    if (buffer === undefined || buffer.length !== length) {
      buffer = new Float32Array(length);
      this.buffers[this.next] = buffer;
    }
    this.next++;
    return buffer;
  }

  scalar(value: number): Float32Array {
    const out = this.take(1);
    out[0] = value;
    return out;
  }

  add(a: Float32Array, b: Float32Array): Float32Array {
    const out = this.result(a, b);
    if (a.length === b.length)
      for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) + (b[i] as number);
    else if (a.length === 1)
      for (let i = 0; i < out.length; i++) out[i] = (a[0] as number) + (b[i] as number);
    else for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) + (b[0] as number);
    return out;
  }

  sub(a: Float32Array, b: Float32Array): Float32Array {
    const out = this.result(a, b);
    if (a.length === b.length)
      for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) - (b[i] as number);
    else if (a.length === 1)
      for (let i = 0; i < out.length; i++) out[i] = (a[0] as number) - (b[i] as number);
    else for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) - (b[0] as number);
    return out;
  }

  mul(a: Float32Array, b: Float32Array): Float32Array {
    const out = this.result(a, b);
    if (a.length === b.length)
      for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) * (b[i] as number);
    else if (a.length === 1)
      for (let i = 0; i < out.length; i++) out[i] = (a[0] as number) * (b[i] as number);
    else for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) * (b[0] as number);
    return out;
  }

  div(a: Float32Array, b: Float32Array): Float32Array {
    const out = this.result(a, b);
    if (a.length === b.length)
      for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) / (b[i] as number);
    else if (a.length === 1)
      for (let i = 0; i < out.length; i++) out[i] = (a[0] as number) / (b[i] as number);
    else for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) / (b[0] as number);
    return out;
  }

  sqrt(a: Float32Array): Float32Array {
    const out = this.take(a.length);
    for (let i = 0; i < a.length; i++) out[i] = Math.sqrt(a[i] as number);
    return out;
  }

  sumSquares(a: Float32Array): Float32Array {
    // Accumulated in float64 and rounded once, so the norm does not drift with the
    // number of elements.
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (a[i] as number);
    return this.scalar(sum);
  }

  /**
   * The buffer for a binary result. Operands have one length, or one of them is a
   * scalar (length 1) that broadcasts over the other. The four operations spell out
   * their loops rather than share one that takes a callback: V8 does not inline a
   * callback that varies, and the loops are the whole cost of a step.
   */
  private result(a: Float32Array, b: Float32Array): Float32Array {
    if (a.length !== b.length && a.length !== 1 && b.length !== 1) {
      throw new RangeError(`cannot broadcast lengths ${a.length} and ${b.length}`);
    }
    return this.take(Math.max(a.length, b.length));
  }
}
