/**
 * Where a float32 optimizer's WebAssembly kernels find their arrays: one kernel set per
 * tensor set, holding each tensor's parameters, gradient and state slots in one
 * WebAssembly memory. The engine's state moves there once (its slot arrays become views
 * of that memory, so checkpoints read from it and steps after a load copy the loaded
 * values in); the caller's parameters and gradients are copied in and out at each step
 * unless they are the views themselves (`Optimizer.bind`).
 */
import type { FloatArray, PreparedStep } from "@a2s/core";
import type { KernelMemory } from "@a2s/wasm-kernels";

export class SimdMemory {
  readonly kernels: KernelMemory<string>;
  /** The engine's slot names that the kernel set holds, under the same names. */
  readonly #slots: readonly string[];

  constructor(kernels: KernelMemory<string>, slots: readonly string[]) {
    this.kernels = kernels;
    this.#slots = slots;
  }

  /** Whether it holds tensors of these sizes, in this order. */
  fits(sizes: readonly number[]): boolean {
    const { lengths } = this.kernels;
    return sizes.length === lengths.length && sizes.every((n, k) => n === lengths[k]);
  }

  /** Tensor `k`'s arrays in the kernels' memory. */
  views(k: number): Readonly<Record<string, Float32Array>> {
    return this.kernels.tensors[k] as Readonly<Record<string, Float32Array>>;
  }

  /**
   * Readies a step: the state it works on becomes the views (each slot's values copied in
   * the first time, when the engine made or loaded new arrays: the values do not change,
   * so a step refused later leaves the state as it was), then the gradients and the
   * parameters are copied in.
   */
  enter(prepared: PreparedStep<FloatArray>): void {
    prepared.state.slots.forEach((own, k) => {
      const views = this.views(k);
      for (const slot of this.#slots) {
        const view = views[slot] as Float32Array;
        const held = own[slot] as FloatArray;
        if (held === view) continue;
        view.set(held);
        // The engine's slot records are its own plain objects: from now on the step, the
        // checkpoints and every later step read and write this slot in the kernels' memory.
        (own as Record<string, FloatArray>)[slot] = view;
      }
    });
    prepared.inputs.forEach(({ param, grad }, k) => {
      const views = this.views(k);
      if (grad !== views.grad) (views.grad as Float32Array).set(grad);
      if (param !== views.param) (views.param as Float32Array).set(param);
    });
  }

  /** Copies the new parameters out to the caller's arrays that are not the views. */
  leave(prepared: PreparedStep<FloatArray>): void {
    prepared.inputs.forEach(({ param }, k) => {
      const view = this.views(k).param as Float32Array;
      if (param !== view) param.set(view);
    });
  }
}
