import {
  A2S_SLOT_NAMES,
  type A2SOptions,
  type A2SUpdateInput,
  a2sSchedule,
  a2sUpdate,
  CheckpointError,
  type CheckpointTensor,
  checkFinite,
  decodeCheckpoint,
  encodeCheckpoint,
  InvalidOptionError,
  resolveA2SOptions,
  type StepDiagnostics,
} from "@a2s/core";
import { Float32Arena } from "./float32-arena.js";
import type { LayerTensor } from "./layout.js";

/**
 * A2S over a fixed list of Float32Array tensors that it updates in place. The caller
 * writes gradients into {@link LayerOptimizer.grads} and calls {@link LayerOptimizer.step};
 * the step itself is core's `a2sUpdate`.
 */
export class LayerOptimizer {
  /** One gradient buffer per tensor, same order and lengths, for the caller to fill. */
  readonly grads: readonly Float32Array[];
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private readonly buf: Float32Array[];
  private readonly prev: Float32Array[];
  private readonly inputs: A2SUpdateInput<Float32Array>[];
  private readonly arena = new Float32Arena();
  private t = 0;
  private last: StepDiagnostics | undefined;

  constructor(
    /** The tensors updated in place, in gradient order. */
    readonly tensors: readonly LayerTensor[],
    private opts: Readonly<A2SOptions>,
  ) {
    const zeros = () => tensors.map((tensor) => new Float32Array(tensor.data.length));
    this.grads = zeros();
    this.m = zeros();
    this.v = zeros();
    this.buf = zeros();
    this.prev = zeros();
    this.inputs = tensors.map((tensor, i) => ({
      param: tensor.data,
      grad: this.grads[i] as Float32Array,
      slots: {
        m: this.m[i] as Float32Array,
        v: this.v[i] as Float32Array,
        buf: this.buf[i] as Float32Array,
        prev: undefined,
      },
    }));
  }

  /** The hyperparameters in force (a loaded checkpoint brings its own). */
  get options(): Readonly<A2SOptions> {
    return this.opts;
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /** What the last step did; `undefined` before the first. */
  get diagnostics(): StepDiagnostics | undefined {
    return this.last;
  }

  /**
   * One A2S step with the gradients in {@link grads}. Throws `NonFiniteGradientError`
   * naming the tensor and index before anything changes.
   */
  step(): void {
    this.tensors.forEach((tensor, i) => {
      checkFinite(tensor.name, this.grads[i] as Float32Array);
    });
    const schedule = a2sSchedule(this.t + 1, this.opts);
    for (let i = 0; i < this.inputs.length; i++) {
      (this.inputs[i] as A2SUpdateInput<Float32Array>).slots.prev =
        this.t === 0 ? undefined : (this.prev[i] as Float32Array);
    }
    this.arena.rewind();
    const result = a2sUpdate(this.arena, this.opts, schedule, this.inputs);
    // Everything is computed; only now is anything written.
    result.tensors.forEach((out, i) => {
      (this.tensors[i] as LayerTensor).data.set(out.param);
      (this.m[i] as Float32Array).set(out.slots.m);
      (this.v[i] as Float32Array).set(out.slots.v);
      (this.buf[i] as Float32Array).set(out.slots.buf);
      (this.prev[i] as Float32Array).set(this.grads[i] as Float32Array);
    });
    this.t = schedule.t;
    this.last = {
      t: schedule.t,
      w: schedule.w,
      curvature: result.curvature[0] as number,
      lrScale: result.lrScale[0] as number,
      lrAdam: result.lrAdamEff[0] as number,
      lrSgd: result.lrSgdEff[0] as number,
    };
  }

  /** The optimizer state as a core checkpoint (parameters are not part of it). */
  save(): Uint8Array {
    const tensors: Record<string, CheckpointTensor> = {};
    this.tensors.forEach((tensor, i) => {
      tensors[tensor.name] = {
        shape: tensor.shape,
        slots: {
          m: this.m[i] as Float32Array,
          v: this.v[i] as Float32Array,
          buf: this.buf[i] as Float32Array,
          prev: this.prev[i] as Float32Array,
        },
      };
    });
    return encodeCheckpoint({ algorithm: "A2S", options: { ...this.opts }, t: this.t, tensors });
  }

  /**
   * Replaces the state (step count, options, slots) with a checkpoint saved for tensors of
   * the same names and shapes, by this package or any other A2S adapter. Throws
   * `CheckpointError` and keeps the current state when anything does not match.
   */
  load(bytes: Uint8Array): void {
    const checkpoint = decodeCheckpoint(bytes, { algorithm: "A2S", slots: A2S_SLOT_NAMES });
    let options: Readonly<A2SOptions>;
    try {
      options = resolveA2SOptions(checkpoint.options as Partial<A2SOptions>);
    } catch (error) {
      if (!(error instanceof InvalidOptionError)) throw error;
      throw new CheckpointError("header", error.message);
    }
    const names = this.tensors.map((tensor) => tensor.name);
    const saved = Object.keys(checkpoint.tensors);
    if (saved.length !== names.length || saved.some((name) => !names.includes(name))) {
      throw new CheckpointError("tensors", `holds [${saved}], this network has [${names}]`);
    }
    for (const tensor of this.tensors) {
      const entry = checkpoint.tensors[tensor.name] as CheckpointTensor;
      if (entry.shape.join(",") !== tensor.shape.join(",")) {
        throw new CheckpointError(
          "tensors",
          `${tensor.name} has shape [${entry.shape}], this network's is [${tensor.shape}]`,
        );
      }
    }
    this.tensors.forEach((tensor, i) => {
      const slots = (checkpoint.tensors[tensor.name] as CheckpointTensor).slots;
      (this.m[i] as Float32Array).set(slots["m"] as ArrayLike<number>);
      (this.v[i] as Float32Array).set(slots["v"] as ArrayLike<number>);
      (this.buf[i] as Float32Array).set(slots["buf"] as ArrayLike<number>);
      (this.prev[i] as Float32Array).set(slots["prev"] as ArrayLike<number>);
    });
    this.t = checkpoint.t;
    this.opts = options;
    this.last = undefined;
  }
}
