/**
 * Trains the seed's MLP with the gradients from onnxruntime and the step on the host: one
 * run of the training graph per step gives the gradients, and an optimizer that updates
 * Float32Arrays in place (`@a2s/typed`'s) takes the step. On a CPU this is the faster
 * split: onnxruntime runs an elementwise step node by node, each reading and writing whole
 * tensors, where a fused host kernel reads each array once (the README's Speed section
 * has the measurements).
 */
import { type FloatArray, InvalidCallError, InvalidOptionError } from "@a2s/core";
import type { InferenceSession, Tensor } from "onnxruntime-common";
import { checkParameters } from "./append-step.js";
import { mlpParamNames, mlpParamShapes } from "./mlp-graph.js";
import {
  buildEvaluationModel,
  buildInferenceModel,
  buildTrainingModel,
  IMAGES,
  LABELS,
} from "./mlp-models.js";
import { checkRuntime, defaultRuntime, type OnnxRuntime, writesIntoGivenOutputs } from "./runtime.js";
import { createSession } from "./session.js";
import { type GradientResult, type MlpModel, mlpBatch, mlpSizes, type Trainer } from "./trainer.js";

type Arrays = Record<string, Float32Array>;

/**
 * An optimizer that updates parameters held as Float32Arrays in place from gradients of
 * the same names, such as `A2S` or `Adam` of `@a2s/typed`. With `bind` (as `@a2s/typed`
 * has), the trainer trains on the arrays it returns, which its SIMD kernels step without
 * copies, and onnxruntime reads the parameters from and writes the gradients into them.
 */
export interface HostOptimizer {
  update(params: Arrays, grads: Arrays): unknown;
  bind?(params: Readonly<Arrays>): { params: Arrays; grads: Arrays };
}

/** What {@link createHostStepTrainer} trains, and with what. */
export interface HostStepTrainerOptions<O extends HostOptimizer> {
  model: MlpModel;
  /** The optimizer that takes each step (its state is the training's); e.g. `new A2S()` of `@a2s/typed`. */
  optimizer: O;
  /** The onnxruntime module to run on (default: onnxruntime-node, or onnxruntime-web for the browser). */
  runtime?: OnnxRuntime;
  /** onnxruntime session options, laid over {@link DEFAULT_SESSION_OPTIONS}. */
  sessionOptions?: InferenceSession.SessionOptions;
}

/**
 * Makes a trainer whose steps take the gradients from onnxruntime and the update from
 * `optimizer` on the host; it has {@link createTrainer}'s methods, each run after the
 * calls made before it. Sessions are made on first use.
 *
 * @example
 * import { A2S } from "@a2s/typed";
 * const trainer = createHostStepTrainer({ model: { params }, optimizer: new A2S() });
 * const loss = await trainer.trainStep(x, y);
 *
 * @throws InvalidOptionError an optimizer with no `update` method, bad sizes, a bad runtime.
 * @throws TensorMismatchError parameters that do not fit the sizes, or are not finite.
 */
export function createHostStepTrainer<O extends HostOptimizer>(
  options: HostStepTrainerOptions<O>,
): Trainer<O> {
  return new HostStepTrainer(options);
}

class HostStepTrainer<O extends HostOptimizer> implements Trainer<O> {
  readonly sizes: readonly number[];
  readonly optimizer: O;
  readonly #names: string[];
  readonly #shapes: number[][];
  readonly #params: Arrays;
  readonly #grads: Arrays;
  readonly #runtime: Promise<OnnxRuntime>;
  readonly #sessionOptions: InferenceSession.SessionOptions | undefined;
  readonly #sessions = new Map<"training" | "evaluation", Promise<InferenceSession>>();
  /** Tensors over the arrays the trainer keeps for good, made at the first run: the parameters and gradients. */
  #tensors: { params: Record<string, Tensor>; grads: Record<string, Tensor> } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;

  constructor({ model, optimizer, runtime, sessionOptions }: HostStepTrainerOptions<O>) {
    if (typeof (optimizer as Partial<HostOptimizer> | undefined)?.update !== "function") {
      throw new InvalidOptionError(
        "optimizer",
        optimizer,
        "an optimizer that updates Float32Arrays on the host, such as A2S of @a2s/typed",
      );
    }
    this.sizes = mlpSizes(model);
    this.optimizer = optimizer;
    this.#names = mlpParamNames(this.sizes);
    this.#shapes = mlpParamShapes(this.sizes);
    checkParameters(this.#names, this.#shapes, "float32", model?.params);
    const given = Object.fromEntries(
      this.#names.map((name) => [name, (model.params[name] as Float32Array).slice()]),
    );
    if (typeof optimizer.bind === "function") {
      ({ params: this.#params, grads: this.#grads } = optimizer.bind(given));
    } else {
      this.#params = given;
      this.#grads = Object.fromEntries(
        this.#names.map((name) => [name, new Float32Array(given[name]?.length ?? 0)]),
      );
    }
    const chosen = checkRuntime(runtime);
    this.#runtime = chosen ? Promise.resolve(chosen) : defaultRuntime();
    // Unhandled until a call awaits it: a runtime that fails to load fails that call.
    this.#runtime.catch(() => undefined);
    this.#sessionOptions = sessionOptions;
  }

  /** Runs `work` after every call queued before it. */
  #enqueue<R>(work: () => R | Promise<R>): Promise<R> {
    if (this.#disposed) return Promise.reject(new InvalidCallError("trainer", "the trainer was disposed"));
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #session(which: "training" | "evaluation"): Promise<InferenceSession> {
    let session = this.#sessions.get(which);
    if (session === undefined) {
      const bytes = which === "training" ? buildTrainingModel(this.sizes) : buildEvaluationModel(this.sizes);
      session = this.#runtime.then((r) => createSession(r, bytes, this.#sessionOptions));
      this.#sessions.set(which, session);
      const made = session;
      made.catch(() => {
        if (this.#sessions.get(which) === made) this.#sessions.delete(which);
      });
    }
    return session;
  }

  /** The tensors over the parameter and gradient arrays, which never change: made once. */
  #fixedTensors(runtime: OnnxRuntime) {
    const tensorsOf = (arrays: Arrays) =>
      Object.fromEntries(
        this.#names.map((name, i) => [
          name,
          new runtime.Tensor("float32", arrays[name] as Float32Array, this.#shapes[i]),
        ]),
      );
    this.#tensors ??= { params: tensorsOf(this.#params), grads: tensorsOf(this.#grads) };
    return this.#tensors;
  }

  /** The parameters and the batch as feeds of the training or evaluation graph (both take every parameter). */
  #feeds(runtime: OnnxRuntime, batch: ReturnType<typeof mlpBatch>) {
    const feeds: Record<string, Tensor> = { ...this.#fixedTensors(runtime).params };
    for (const [name, input] of Object.entries(batch))
      feeds[name] = new runtime.Tensor(input.type, input.data as Float32Array, input.dims);
    return feeds;
  }

  /**
   * Checks a batch and runs `work` on a copy of it after the calls before (copied at the
   * call, so that the caller may refill its arrays before the work runs).
   */
  #withBatch<R>(
    x: Float32Array,
    y: Uint8Array,
    work: (batch: ReturnType<typeof mlpBatch>) => Promise<R>,
  ): Promise<R> {
    let batch: ReturnType<typeof mlpBatch>;
    try {
      const checked = mlpBatch(this.sizes, x, y);
      batch = {
        [IMAGES]: { ...checked[IMAGES], data: x.slice() },
        [LABELS]: { ...checked[LABELS], data: y.slice() },
      };
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#enqueue(() => work(batch));
  }

  /** One run of the training graph; the gradients land in the trainer's gradient arrays. */
  async #gradients(batch: ReturnType<typeof mlpBatch>): Promise<Record<string, Tensor>> {
    const [runtime, session] = await Promise.all([this.#runtime, this.#session("training")]);
    const feeds = this.#feeds(runtime, batch);
    if (!writesIntoGivenOutputs(runtime)) {
      const out = await session.run(feeds);
      for (const name of this.#names)
        (this.#grads[name] as Float32Array).set(out[`grad_${name}`]?.data as Float32Array);
      return out;
    }
    // onnxruntime-node writes into tensors handed to it: the gradients go straight where the step reads them.
    const fetches: Record<string, Tensor | null> = { loss: null, logits: null };
    for (const [name, tensor] of Object.entries(this.#fixedTensors(runtime).grads))
      fetches[`grad_${name}`] = tensor;
    return session.run(feeds, fetches as Record<string, Tensor>);
  }

  trainStep(x: Float32Array, y: Uint8Array): Promise<number> {
    return this.#withBatch(x, y, async (batch) => {
      const out = await this.#gradients(batch);
      await this.optimizer.update(this.#params, this.#grads);
      return out["loss"]?.data[0] as number;
    });
  }

  evaluate(x: Float32Array, y: Uint8Array): Promise<number> {
    return this.#withBatch(x, y, async (batch) => {
      const [runtime, session] = await Promise.all([this.#runtime, this.#session("evaluation")]);
      const { correct } = await session.run(this.#feeds(runtime, batch));
      return ((correct as Tensor).data[0] as number) / y.length;
    });
  }

  gradients(x: Float32Array, y: Uint8Array): Promise<GradientResult> {
    return this.#withBatch(x, y, async (batch) => {
      const out = await this.#gradients(batch);
      return {
        loss: out["loss"]?.data[0] as number,
        logits: (out["logits"]?.data as Float32Array).slice(),
        grads: Object.fromEntries(
          this.#names.map((name) => [name, (this.#grads[name] as Float32Array).slice()]),
        ),
      };
    });
  }

  getParameters(): Record<string, Float32Array> {
    return Object.fromEntries(
      this.#names.map((name) => [name, (this.#params[name] as Float32Array).slice()]),
    );
  }

  setParameters(params: Readonly<Record<string, Float32Array>>): Promise<void> {
    try {
      checkParameters(this.#names, this.#shapes, "float32", params);
    } catch (error) {
      return Promise.reject(error);
    }
    const copies = this.#names.map((name) => (params[name] as FloatArray).slice());
    return this.#enqueue(() => {
      this.#names.forEach((name, i) => {
        (this.#params[name] as Float32Array).set(copies[i] as Float32Array);
      });
    });
  }

  exportModel(): Uint8Array {
    return buildInferenceModel(this.sizes, this.getParameters());
  }

  dispose(): Promise<void> {
    const done = this.#enqueue(async () => {
      const sessions = [...this.#sessions.values()];
      this.#sessions.clear();
      await Promise.all(sessions.map(async (s) => (await s.catch(() => undefined))?.release()));
    });
    this.#disposed = true;
    return done;
  }
}
