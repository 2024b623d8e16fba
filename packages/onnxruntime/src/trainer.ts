/**
 * Trains the seed's MLP with onnxruntime: the MLP's training graph with the optimizer's
 * step appended by {@link appendOptimizerStep}, one run per step.
 */
import { InvalidOptionError, TensorMismatchError } from "@a2s/core";
import type { InferenceSession, Tensor } from "onnxruntime-common";
import { appendOptimizerStep, type FusedStep } from "./append-step.js";
import { mlpParamNames, SEED_LAYER_SIZES } from "./mlp-graph.js";
import {
  buildEvaluationModel,
  buildInferenceModel,
  buildTrainingModel,
  IMAGES,
  LABELS,
} from "./mlp-models.js";
import { Optimizer } from "./optimizer.js";

/** The network to train. */
export interface MlpModel {
  /** Units per layer, input first. Default: the seed's `[784, 128, 64, 10]`. */
  sizes?: readonly number[];
  /**
   * Initial parameters `W1, b1, W2, b2, ...` (W as [in, out] row-major, `y = x W + b`),
   * e.g. `new Mlp({ seed }).params` from @a2s/mlp. Copied; the trainer keeps its own.
   */
  params: Readonly<Record<string, Float32Array>>;
}

/** What {@link createTrainer} trains, and with what. */
export interface TrainerOptions {
  model: MlpModel;
  /** An optimizer of this package (`A2S`, `Adam`, ..., `Optimizer`); its state is the training's. */
  optimizer: Optimizer;
  /** onnxruntime session options, laid over {@link DEFAULT_SESSION_OPTIONS} (default: the optimizer's). */
  sessionOptions?: InferenceSession.SessionOptions;
}

/** What one pass of the training graph gives, without updating anything. */
export interface GradientResult {
  loss: number;
  /** [batch, classes] row-major. */
  logits: Float32Array;
  grads: Record<string, Float32Array>;
}

/** Trains an MLP with one onnxruntime run per step; made by {@link createTrainer}. */
export interface Trainer<O = Optimizer> {
  readonly sizes: readonly number[];
  readonly optimizer: O;
  /**
   * One optimizer step on a batch (`x`: rows of `sizes[0]` pixels, `y`: labels, both
   * copied at the call); resolves to the batch's loss before the step.
   */
  trainStep(x: Float32Array, y: Uint8Array): Promise<number>;
  /** Share of `x` classified as `y` says, in [0, 1]. */
  evaluate(x: Float32Array, y: Uint8Array): Promise<number>;
  /** Loss, logits and gradients of a batch under the current parameters (nothing changes). */
  gradients(x: Float32Array, y: Uint8Array): Promise<GradientResult>;
  /** Copies of the parameters after the last finished step. */
  getParameters(): Record<string, Float32Array>;
  /** Replaces the parameters (copied at the call, applied after the calls before it); the optimizer's state is kept. */
  setParameters(params: Readonly<Record<string, Float32Array>>): Promise<void>;
  /** The inference model with the parameters of the last finished step, as `.onnx` bytes (see `saveModel`). */
  exportModel(): Uint8Array;
  /** Releases the trainer's sessions (the optimizer and its state stay). */
  dispose(): Promise<void>;
}

/**
 * The model's layer sizes, checked (default: the seed's).
 * @throws InvalidOptionError sizes that are not two or more positive integers.
 */
export function mlpSizes(model: MlpModel | undefined): readonly number[] {
  const sizes = model?.sizes ?? SEED_LAYER_SIZES;
  if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new InvalidOptionError("model.sizes", sizes, "two or more positive integers");
  }
  return Object.freeze([...sizes]);
}

/**
 * Checks a batch for an MLP of `sizes` and describes it as the graphs' two inputs (the
 * arrays themselves: copy them to keep them).
 * @throws TensorMismatchError arrays of another type, a length that does not fit, a label out of range.
 */
export function mlpBatch(sizes: readonly number[], x: Float32Array, y: Uint8Array) {
  const width = sizes[0] as number;
  const classes = sizes[sizes.length - 1] as number;
  if (!(x instanceof Float32Array))
    throw new TensorMismatchError(IMAGES, "type", "a Float32Array", x, "input");
  if (!(y instanceof Uint8Array)) throw new TensorMismatchError(LABELS, "type", "a Uint8Array", y, "input");
  if (y.length === 0 || x.length !== y.length * width) {
    throw new TensorMismatchError(
      IMAGES,
      "length",
      `${width} per label (${y.length} labels)`,
      x.length,
      "input",
    );
  }
  for (let i = 0; i < y.length; i++) {
    if ((y[i] as number) >= classes) {
      throw new TensorMismatchError(
        LABELS,
        "type",
        `class indices below ${classes}`,
        `${y[i]} at index ${i}`,
        "input",
      );
    }
  }
  return {
    [IMAGES]: { type: "float32" as const, data: x, dims: [y.length, width] },
    [LABELS]: { type: "uint8" as const, data: y, dims: [y.length] },
  };
}

/**
 * Makes a trainer; sessions are created on first use and reused for every later call.
 *
 * @throws InvalidOptionError an optimizer that is not one of this package, bad sizes.
 * @throws TensorMismatchError parameters that do not fit the sizes, or are not finite.
 */
export function createTrainer(options: TrainerOptions): Trainer {
  return new OnnxTrainer(options);
}

class OnnxTrainer implements Trainer {
  readonly sizes: readonly number[];
  readonly optimizer: Optimizer;
  readonly #step: FusedStep;
  readonly #names: string[];
  readonly #training: Uint8Array;
  readonly #evaluation: Uint8Array;

  constructor({ model, optimizer, sessionOptions }: TrainerOptions) {
    if (!(optimizer instanceof Optimizer)) {
      throw new InvalidOptionError(
        "optimizer",
        optimizer,
        "an optimizer of @a2s/onnxruntime (A2S, Adam, RMSProp, SGDMomentum or Optimizer)",
      );
    }
    this.sizes = mlpSizes(model);
    this.optimizer = optimizer;
    this.#names = mlpParamNames(this.sizes);
    this.#training = buildTrainingModel(this.sizes);
    this.#evaluation = buildEvaluationModel(this.sizes);
    this.#step = appendOptimizerStep(this.#training, optimizer, {
      gradients: Object.fromEntries(this.#names.map((name) => [name, `grad_${name}`])),
      parameters: model?.params,
      outputs: ["loss"],
      ...(sessionOptions ? { sessionOptions } : {}),
    });
  }

  /** The batch as the graphs' two inputs (the step copies them). */
  #batch(x: Float32Array, y: Uint8Array) {
    return mlpBatch(this.sizes, x, y);
  }

  async trainStep(x: Float32Array, y: Uint8Array): Promise<number> {
    const { loss } = await this.#step.run(this.#batch(x, y));
    return (loss as Tensor).data[0] as number;
  }

  async evaluate(x: Float32Array, y: Uint8Array): Promise<number> {
    const { correct } = await this.#step.infer(this.#evaluation, this.#batch(x, y));
    return ((correct as Tensor).data[0] as number) / y.length;
  }

  async gradients(x: Float32Array, y: Uint8Array): Promise<GradientResult> {
    const out = await this.#step.infer(this.#training, this.#batch(x, y));
    return {
      loss: (out.loss as Tensor).data[0] as number,
      logits: (out.logits as Tensor).data as Float32Array,
      grads: Object.fromEntries(
        this.#names.map((name) => [name, (out[`grad_${name}`] as Tensor).data as Float32Array]),
      ),
    };
  }

  getParameters(): Record<string, Float32Array> {
    return this.#step.parameters() as Record<string, Float32Array>;
  }

  setParameters(params: Readonly<Record<string, Float32Array>>): Promise<void> {
    return this.#step.setParameters(params);
  }

  exportModel(): Uint8Array {
    return buildInferenceModel(this.sizes, this.getParameters());
  }

  dispose(): Promise<void> {
    return this.#step.dispose();
  }
}
