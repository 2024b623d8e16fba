import { A2S_SLOT_NAMES, type A2SOptions, type CheckpointTensor, encodeCheckpoint } from "@a2s/core";
import { A2S, type TensorRecord } from "@a2s/typed";
import type { LayerTensor } from "./layout.js";

/**
 * `@a2s/typed`'s A2S (its fused kernel: one loop per tensor, no allocation per step)
 * bound to a network's layer tensors, which it updates in place.
 */
export class LayerOptimizer {
  /** One gradient buffer per tensor, in tensor order, for the caller to fill before {@link step}. */
  readonly grads: readonly Float32Array[];
  readonly a2s: A2S;
  private readonly params: TensorRecord;
  private readonly gradRecord: TensorRecord;

  constructor(
    /** The tensors updated in place. */
    readonly tensors: readonly LayerTensor[],
    options: Readonly<A2SOptions>,
  ) {
    this.grads = tensors.map((tensor) => new Float32Array(tensor.data.length));
    this.params = Object.fromEntries(tensors.map((tensor) => [tensor.name, tensor.data]));
    this.gradRecord = Object.fromEntries(
      tensors.map((tensor, i) => [tensor.name, this.grads[i] as Float32Array]),
    );
    // Starting from an all-zero state at step 0 rather than from nothing fixes the tensor
    // set up front: checkpoints then carry the layers' matrix shapes, and a checkpoint for
    // other tensors is refused even before the first step.
    const slots = (tensor: LayerTensor) =>
      Object.fromEntries(A2S_SLOT_NAMES.map((slot) => [slot, new Float32Array(tensor.data.length)]));
    const tensorsState: Record<string, CheckpointTensor> = Object.fromEntries(
      tensors.map((tensor) => [tensor.name, { shape: tensor.shape, slots: slots(tensor) }]),
    );
    this.a2s = A2S.fromCheckpoint(
      encodeCheckpoint({ algorithm: "A2S", options: { ...options }, t: 0, tensors: tensorsState }),
    );
  }

  /** One A2S step with the gradients in {@link grads}; throws before any change if one is not finite. */
  step(): void {
    this.a2s.update(this.params, this.gradRecord);
  }

  /** One A2S step with gradients keyed by tensor name; all checked before any change. */
  apply(grads: TensorRecord): void {
    this.a2s.update(this.params, grads);
  }
}
