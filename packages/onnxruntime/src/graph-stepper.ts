/**
 * What an optimizer's graph steps share, whether they come from `update` or from a step
 * appended to a model: the engine, one queue that runs every call in call order, the
 * runtime, and the cycle of a step (prepare, run the recorded graph, commit).
 */
import {
  type Algorithm,
  Engine,
  type EngineSettings,
  type PreparedStep,
  type StepTensorInput,
  type TensorInfo,
  TensorMismatchError,
} from "@a2s/core";
import type { InferenceSession, Tensor } from "onnxruntime-common";
import { type HostValue, hostValueBackend } from "./host-values.js";
import { checkRuntime, defaultRuntime, type OnnxRuntime } from "./runtime.js";
import type { StepProgram, StepRun } from "./step-program.js";

/** How an optimizer runs, beside its algorithm. */
export interface StepperSettings extends EngineSettings {
  /** The onnxruntime module to run on (default: see the README's "Runtime"). */
  readonly runtime?: OnnxRuntime;
  /** onnxruntime session options, laid over {@link DEFAULT_SESSION_OPTIONS}. */
  readonly sessionOptions?: InferenceSession.SessionOptions;
}

/**
 * The step's graph for the tensors and algorithm of the moment: recorded again when the
 * algorithm (a loaded checkpoint's options) or the tensors change.
 */
export class ProgramCache {
  #key: string | undefined;
  #tensors: readonly TensorInfo[] | undefined;
  #algorithm: Algorithm | undefined;
  #program: StepProgram | undefined;

  constructor(private readonly engine: Engine<HostValue>) {}

  get(prepared: PreparedStep<HostValue>, build: () => StepProgram): StepProgram {
    const algorithm = this.engine.algorithm;
    // The engine hands out the same tensor list at every step until the set changes.
    if (this.#program !== undefined && this.#algorithm === algorithm && this.#tensors === prepared.tensors) {
      return this.#program;
    }
    const key = JSON.stringify([prepared.dtypes, prepared.tensors]);
    if (this.#program === undefined || this.#algorithm !== algorithm || this.#key !== key) {
      void this.#program?.release();
      this.#program = build();
      this.#algorithm = algorithm;
      this.#key = key;
    }
    this.#tensors = prepared.tensors;
    return this.#program;
  }

  release(): Promise<void> {
    const program = this.#program;
    this.#program = undefined;
    return program?.release() ?? Promise.resolve();
  }
}

export class GraphStepper {
  readonly engine: Engine<HostValue>;
  readonly sessionOptions: InferenceSession.SessionOptions | undefined;
  readonly #given: OnnxRuntime | undefined;
  #runtime: Promise<OnnxRuntime> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #caches = new Set<ProgramCache>();

  constructor(algorithm: Algorithm, settings: StepperSettings) {
    this.#given = checkRuntime(settings.runtime);
    this.sessionOptions = settings.sessionOptions;
    this.engine = new Engine(algorithm, hostValueBackend, { allReduce: settings.allReduce });
  }

  /** Runs `work` after every call queued before it. */
  enqueue<R>(work: () => R | Promise<R>): Promise<R> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  runtime(): Promise<OnnxRuntime> {
    if (this.#runtime === undefined) {
      const pending = this.#given ? Promise.resolve(this.#given) : defaultRuntime();
      this.#runtime = pending;
      pending.catch(() => {
        if (this.#runtime === pending) this.#runtime = undefined;
      });
    }
    return this.#runtime;
  }

  /** A cache whose sessions are released with the optimizer's. */
  cache(): ProgramCache {
    const cache = new ProgramCache(this.engine);
    this.#caches.add(cache);
    return cache;
  }

  forget(cache: ProgramCache): Promise<void> {
    this.#caches.delete(cache);
    return cache.release();
  }

  /**
   * One step: checks the tensors, runs the program `programFor` gives with `feeds`, and
   * commits. Nothing changes unless the whole step succeeds.
   *
   * @throws TensorMismatchError tensors of more than one dtype (one graph computes them all).
   */
  async step(
    inputs: readonly StepTensorInput<HostValue>[],
    programFor: (prepared: PreparedStep<HostValue>, runtime: OnnxRuntime) => StepProgram,
    feeds: (program: StepProgram, prepared: PreparedStep<HostValue>) => Record<string, Tensor>,
  ): Promise<StepRun> {
    const prepared = this.engine.prepare(inputs);
    const dtype = prepared.dtypes[0];
    prepared.dtypes.forEach((other, i) => {
      if (other !== dtype) {
        throw new TensorMismatchError((prepared.tensors[i] as { name: string }).name, "dtype", dtype, other);
      }
    });
    const program = programFor(prepared, await this.runtime());
    const run = await program.run(this.engine, prepared, feeds(program, prepared));
    this.engine.commit(prepared, run.outcome);
    return run;
  }

  /** Releases every session; later calls throw InvalidCallError. */
  async dispose(): Promise<void> {
    this.engine.dispose();
    const caches = [...this.#caches];
    this.#caches.clear();
    await Promise.all(caches.map((cache) => cache.release()));
  }
}
