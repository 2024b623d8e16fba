/**
 * The part of the WebAssembly JavaScript API this package calls. TypeScript declares it
 * only in the DOM library, which a package that also runs in Node should not pull in.
 */
declare namespace WebAssembly {
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    /** Adds pages; the old `buffer` is detached (a host's memory may grow between kernel calls). */
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: Uint8Array): boolean;
}
