import type { Algorithm } from "@a2s/core";
import { Optimizer, type TensorRecord } from "@a2s/typed";
import type { LayerTensor } from "./layout.js";

/**
 * `@a2s/typed`'s optimizer (its fastest kernel for the algorithm: the SIMD one for
 * brain's float32 layers where the engine has WebAssembly SIMD) bound to a network's
 * layer tensors, which it updates in place.
 * The tensor set is declared at once, so checkpoints carry the layers' shapes and a
 * checkpoint of other layers is refused even before the first step.
 */
export class LayerOptimizer {
  /** One gradient buffer per tensor, in tensor order, for the caller to fill before {@link step}. */
  readonly grads: readonly Float32Array[];
  readonly optimizer: Optimizer;
  readonly #params: TensorRecord;
  readonly #gradRecord: TensorRecord;

  constructor(tensors: readonly LayerTensor[], algorithm: Algorithm) {
    this.grads = tensors.map((tensor) => new Float32Array(tensor.data.length));
    this.#params = Object.fromEntries(tensors.map((tensor) => [tensor.name, tensor.data]));
    this.#gradRecord = Object.fromEntries(
      tensors.map((tensor, i) => [tensor.name, this.grads[i] as Float32Array]),
    );
    this.optimizer = new Optimizer(algorithm, {
      shapes: Object.fromEntries(tensors.map((tensor) => [tensor.name, tensor.shape])),
    });
    this.optimizer.declare(this.#params);
  }

  /** One step with the gradients in {@link grads}; all checked before any change. */
  step(): void {
    this.optimizer.update(this.#params, this.#gradRecord);
  }

  /** One step with gradients keyed by tensor name; all checked before any change. */
  apply(grads: TensorRecord): void {
    this.optimizer.update(this.#params, grads);
  }
}
