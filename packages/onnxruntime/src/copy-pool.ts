/**
 * Copies of a caller's arrays taken at the call (a caller may refill its arrays as soon
 * as a call returns, while the step runs later), in buffers used again once their step
 * is done, so that a step allocates nothing.
 */

/** A typed array of any element type. */
export type Typed = ArrayBufferView & {
  readonly length: number;
  set(source: ArrayLike<never>, offset?: number): void;
};
interface TypedConstructor {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): Typed;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

/** A few free buffers per kind and sizes; more are left to the garbage collector. */
const KEPT = 2;

const kindOf = (array: Typed) => array.constructor as TypedConstructor;
const keyOf = (arrays: readonly Typed[]) =>
  `${kindOf(arrays[0] as Typed).name}:${arrays.map((array) => array.length).join(",")}`;

export class CopyPool {
  readonly #free = new Map<string, Typed[][]>();

  /**
   * Copies of `arrays`, one after the other in one buffer when they share an element
   * type (so that neighbours can be fed as one tensor), else each on its own.
   */
  copy<T extends Typed>(arrays: readonly T[]): T[] {
    const kind = kindOf(arrays[0] as T);
    if (!arrays.every((array) => kindOf(array) === kind)) {
      return arrays.map((array) => this.copy([array])[0] as T);
    }
    let copies = this.#free.get(keyOf(arrays))?.pop() as T[] | undefined;
    if (copies === undefined) {
      const total = arrays.reduce((sum, array) => sum + array.length, 0);
      const buffer = new ArrayBuffer(total * kind.BYTES_PER_ELEMENT);
      let offset = 0;
      copies = arrays.map((array) => {
        const view = new kind(buffer, offset * kind.BYTES_PER_ELEMENT, array.length) as T;
        offset += array.length;
        return view;
      });
    }
    copies.forEach((copy, i) => {
      copy.set(arrays[i] as never);
    });
    return copies;
  }

  /** Takes back copies made by {@link copy} once nothing reads them any more. */
  give(copies: readonly Typed[]): void {
    if (copies.length === 0) return;
    const kind = kindOf(copies[0] as Typed);
    if (!copies.every((copy) => kindOf(copy) === kind)) {
      for (const copy of copies) this.give([copy]);
      return;
    }
    const free = this.#free.get(keyOf(copies)) ?? [];
    if (free.length < KEPT) free.push([...copies]);
    this.#free.set(keyOf(copies), free);
  }
}
