/**
 * Trains the seed's MLP with onnxruntime: one fused graph run per step (forward,
 * loss, backward and the optimizer's update), parameters and slots double-buffered so
 * nothing is allocated or copied per step beyond wrapping the caller's batch.
 */
import { checkFinite, checkTensorNames, TensorMismatchError } from "@a2s/core";
import { type InferenceSession, Tensor } from "onnxruntime-node";
import { mlpParamNames, mlpParamShapes, SEED_LAYER_SIZES } from "./mlp-graph.js";
import {
  buildEvaluationModel,
  buildFusedModel,
  buildInferenceModel,
  buildTrainingModel,
  type FusedModel,
  IMAGES,
  LABELS,
} from "./mlp-models.js";
import type { OptimizerState, TensorLayout } from "./optimizer-state.js";
import { ATTACH, type GraphOptimizer } from "./optimizers.js";
import type { OptimizerRecipe } from "./recipes.js";
import { createSession } from "./session.js";

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
  /** An {@link A2S}, {@link Adam}, {@link RMSProp} or {@link SGDMomentum}; its state is the trainer's. */
  optimizer: GraphOptimizer;
  /** onnxruntime session options, laid over {@link DEFAULT_SESSION_OPTIONS}. */
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
export interface Trainer {
  readonly sizes: readonly number[];
  readonly optimizer: GraphOptimizer;
  /** One optimizer step on a batch (`x`: rows of `sizes[0]` pixels, `y`: labels); resolves to the batch's loss before the step. */
  trainStep(x: Float32Array, y: Uint8Array): Promise<number>;
  /** Share of `x` classified as `y` says, in [0, 1]. */
  evaluate(x: Float32Array, y: Uint8Array): Promise<number>;
  /** Loss, logits and gradients of a batch under the current parameters (nothing changes). */
  gradients(x: Float32Array, y: Uint8Array): Promise<GradientResult>;
  /** Copies of the current parameters. */
  getParameters(): Record<string, Float32Array>;
  /** Replaces the parameters (copied in); the optimizer's state is kept. Not while calls are pending. */
  setParameters(params: Readonly<Record<string, Float32Array>>): void;
  /** The inference model with the current weights, as `.onnx` bytes (see `saveModel`). */
  exportModel(): Uint8Array;
  /** Releases every session (the optimizer's state stays). */
  dispose(): Promise<void>;
}

interface Bound {
  array: Float32Array;
  tensor: Tensor;
}

interface FusedSession {
  session: InferenceSession;
  model: FusedModel;
}

/** Makes a trainer; sessions are created on first use and reused for every later call. */
export function createTrainer(options: TrainerOptions): Trainer {
  return new OnnxTrainer(options);
}

class OnnxTrainer implements Trainer {
  readonly sizes: readonly number[];
  readonly optimizer: GraphOptimizer;
  readonly #names: string[];
  readonly #layout: TensorLayout;
  readonly #sessionOptions: InferenceSession.SessionOptions | undefined;
  /** [parity][parameter] */
  readonly #params: [Bound[], Bound[]];
  #parity = 0;
  #fused:
    | { recipe: OptimizerRecipe; general?: Promise<FusedSession>; first?: Promise<FusedSession> }
    | undefined;
  #evaluation: Promise<InferenceSession> | undefined;
  #training: Promise<InferenceSession> | undefined;
  readonly #feeds: Record<string, Tensor> = {};
  readonly #fetches: Record<string, Tensor> = {};
  readonly #loss = bindScalar();
  readonly #queue: { last: Promise<unknown> } = { last: Promise.resolve() };
  #pending = 0;

  constructor({ model, optimizer, sessionOptions }: TrainerOptions) {
    this.sizes = Object.freeze([...(model.sizes ?? SEED_LAYER_SIZES)]);
    if (this.sizes.length < 2 || this.sizes.some((n) => !Number.isSafeInteger(n) || n < 1)) {
      throw new RangeError(`sizes must be two or more positive integers; got [${this.sizes.join(", ")}]`);
    }
    this.optimizer = optimizer;
    this.#sessionOptions = sessionOptions;
    this.#names = mlpParamNames(this.sizes);
    const shapes = mlpParamShapes(this.sizes);
    this.#layout = { names: this.#names, shapes, dtype: "float32" };
    const set = () =>
      shapes.map((shape) => {
        const array = new Float32Array(shape.reduce((a, b) => a * b, 1));
        return { array, tensor: new Tensor("float32", array, shape) };
      });
    this.#params = [set(), set()];
    this.setParameters(model.params);
  }

  /** Runs `work` after every call queued before it; counts what is queued. */
  #serial<R>(work: () => Promise<R>): Promise<R> {
    this.#pending += 1;
    const run = this.#queue.last.then(work).finally(() => {
      this.#pending -= 1;
    });
    this.#queue.last = run.catch(() => undefined);
    return run;
  }

  /** Checks a batch and wraps it (no copy). */
  #batch(x: Float32Array, y: Uint8Array): { images: Tensor; labels: Tensor } {
    const width = this.sizes[0] as number;
    const classes = this.sizes[this.sizes.length - 1] as number;
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
      images: new Tensor("float32", x, [y.length, width]),
      labels: new Tensor("uint8", y, [y.length]),
    };
  }

  #current(): Bound[] {
    return this.#params[this.#parity] as Bound[];
  }

  #feedParams(feeds: Record<string, Tensor>): void {
    this.#current().forEach((bound, i) => {
      feeds[this.#names[i] as string] = bound.tensor;
    });
  }

  #attach(): { state: OptimizerState; adopt(): void } {
    const attached = this.optimizer[ATTACH](this.#layout);
    const { state } = attached;
    const { names, shapes } = state.layout;
    const same =
      state.layout.dtype === "float32" &&
      names.join("\0") === this.#names.join("\0") &&
      shapes.every((s, i) => s.join("x") === this.#layout.shapes[i]?.join("x"));
    if (!same) {
      throw new TensorMismatchError(
        "(all)",
        "type",
        `an optimizer over [${this.#names.join(", ")}]`,
        `one over [${names.join(", ")}]`,
        "parameter",
      );
    }
    return attached;
  }

  #fusedSession(recipe: OptimizerRecipe, firstStep: boolean): Promise<FusedSession> {
    if (this.#fused?.recipe !== recipe) {
      // The optimizer loaded a checkpoint with other hyperparameters: record them anew.
      void this.#releaseFused();
      this.#fused = { recipe };
    }
    const fused = this.#fused;
    const key = firstStep && recipe.unreadOnFirstStep.length > 0 ? "first" : "general";
    let pending = fused[key];
    if (!pending) {
      const model = buildFusedModel(this.sizes, recipe, key === "first");
      pending = createSession(model.bytes, this.#sessionOptions).then((session) => ({ session, model }));
      fused[key] = pending;
      pending.catch(() => {
        if (fused[key] === pending) delete fused[key];
      });
    }
    return pending;
  }

  trainStep(x: Float32Array, y: Uint8Array): Promise<number> {
    return this.#serial(async () => {
      const { images, labels } = this.#batch(x, y);
      const { state, adopt } = this.#attach();
      const { session, model } = await this.#fusedSession(state.recipe, state.t === 0);
      const feeds = this.#feeds;
      const fetches = this.#fetches;
      feeds[IMAGES] = images;
      feeds[LABELS] = labels;
      this.#feedParams(feeds);
      const next = this.#params[1 - this.#parity] as Bound[];
      model.io.paramOutputs.forEach((name, i) => {
        fetches[name] = (next[i] as Bound).tensor;
      });
      fetches[model.loss] = this.#loss.tensor;
      fetches[model.gradCheck] = this.#gradCheck.tensor;
      // Binds A2S's curvature output to the state, which may be the check itself.
      state.bindRun(model.io, feeds, fetches);
      await session.run(feeds, fetches);
      const check = (fetches[model.gradCheck] as Tensor).data[0] as number;
      if (!Number.isFinite(check)) await this.#checkGradients(x, y);
      this.#parity = 1 - this.#parity;
      adopt();
      state.commit();
      return this.#loss.array[0] as number;
    });
  }

  readonly #gradCheck = bindScalar();

  /**
   * Recomputes the gradients on the host side and throws at the first non-finite one
   * (the step is not committed then). Returns if all are finite after all, the check
   * having overflowed on huge values: the step computed is then the right one.
   */
  async #checkGradients(x: Float32Array, y: Uint8Array): Promise<void> {
    const { grads } = await this.#gradients(x, y);
    for (const name of this.#names) checkFinite(name, grads[name] as Float32Array);
  }

  evaluate(x: Float32Array, y: Uint8Array): Promise<number> {
    return this.#serial(async () => {
      const { images, labels } = this.#batch(x, y);
      this.#evaluation ??= createSession(buildEvaluationModel(this.sizes), this.#sessionOptions);
      const feeds: Record<string, Tensor> = { [IMAGES]: images, [LABELS]: labels };
      this.#feedParams(feeds);
      const { correct } = await (await this.#evaluation).run(feeds);
      return ((correct as Tensor).data[0] as number) / y.length;
    });
  }

  gradients(x: Float32Array, y: Uint8Array): Promise<GradientResult> {
    return this.#serial(() => this.#gradients(x, y));
  }

  async #gradients(x: Float32Array, y: Uint8Array): Promise<GradientResult> {
    const { images, labels } = this.#batch(x, y);
    this.#training ??= createSession(buildTrainingModel(this.sizes), this.#sessionOptions);
    const feeds: Record<string, Tensor> = { [IMAGES]: images, [LABELS]: labels };
    this.#feedParams(feeds);
    const out = await (await this.#training).run(feeds);
    return {
      loss: (out.loss as Tensor).data[0] as number,
      logits: (out.logits as Tensor).data as Float32Array,
      grads: Object.fromEntries(
        this.#names.map((name) => [name, (out[`grad_${name}`] as Tensor).data as Float32Array]),
      ),
    };
  }

  getParameters(): Record<string, Float32Array> {
    return Object.fromEntries(
      this.#current().map((bound, i) => [this.#names[i] as string, bound.array.slice()]),
    );
  }

  setParameters(params: Readonly<Record<string, Float32Array>>): void {
    if (this.#pending > 0) {
      // A queued step reads the parameter buffers while it runs.
      throw new Error("setParameters called while steps are pending; await them first");
    }
    checkTensorNames(this.#names, params, "parameter");
    this.#current().forEach((bound, i) => {
      const name = this.#names[i] as string;
      const given = params[name] as Float32Array;
      if (!(given instanceof Float32Array))
        throw new TensorMismatchError(name, "dtype", "float32", "float64", "parameter");
      if (given.length !== bound.array.length) {
        throw new TensorMismatchError(name, "length", bound.array.length, given.length, "parameter");
      }
    });
    this.#current().forEach((bound, i) => {
      bound.array.set(params[this.#names[i] as string] as Float32Array);
    });
  }

  exportModel(): Uint8Array {
    return buildInferenceModel(this.sizes, this.getParameters());
  }

  async #releaseFused(): Promise<void> {
    const fused = this.#fused;
    this.#fused = undefined;
    if (!fused) return;
    await Promise.all(
      [fused.general, fused.first].map(async (s) => (s ? (await s).session.release() : undefined)),
    );
  }

  dispose(): Promise<void> {
    return this.#serial(async () => {
      await this.#releaseFused();
      const others = [this.#evaluation, this.#training];
      this.#evaluation = undefined;
      this.#training = undefined;
      await Promise.all(others.map(async (s) => (s ? (await s).release() : undefined)));
    });
  }
}

function bindScalar(): Bound {
  const array = new Float32Array(1);
  return { array, tensor: new Tensor("float32", array, []) };
}
