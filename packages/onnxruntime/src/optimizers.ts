/**
 * The optimizers: A2S and the seed's baselines, each a recipe recorded once into an ONNX
 * graph and run by onnxruntime. `update(params, grads)` takes the same records of typed
 * arrays as @a2s/typed and updates the parameters in place.
 */
import {
  A2SError,
  type A2SOptions,
  type AdamOptions,
  CheckpointError,
  decodeCheckpoint,
  dtypeOf,
  encodeCheckpoint,
  type FloatArray,
  isFloatArray,
  type RMSPropOptions,
  type SGDMomentumOptions,
  type StepDiagnostics,
} from "@a2s/core";
import type { InferenceSession } from "onnxruntime-node";
import { checkUpdate } from "./check-update.js";
import { OptimizerGraphSession } from "./optimizer-graph-session.js";
import { OptimizerState, type TensorLayout } from "./optimizer-state.js";
import {
  a2sRecipe,
  adamRecipe,
  type OptimizerKind,
  type OptimizerRecipe,
  rmspropRecipe,
  sgdMomentumRecipe,
} from "./recipes.js";

/** Settings of how an optimizer runs (not what it computes). */
export interface GraphOptimizerConfig {
  /** onnxruntime session options, laid over {@link DEFAULT_SESSION_OPTIONS}. */
  sessionOptions?: InferenceSession.SessionOptions;
  /**
   * Shape of each tensor, as recorded in checkpoints. Default: one axis of the array's
   * length. The graph's arithmetic is elementwise, so shapes change nothing else.
   */
  shapes?: Record<string, readonly number[]>;
}

/**
 * Key of the trainer's access to an optimizer's recipe and state. Not exported from the
 * package: the trainer records the same recipe into its fused graph and steps the same
 * state, so checkpoints and diagnostics work the same whichever runs the step.
 */
export const ATTACH: unique symbol = Symbol("attach");

/** Common machinery of {@link A2S}, {@link Adam}, {@link RMSProp} and {@link SGDMomentum}. */
export abstract class GraphOptimizer {
  #recipe: OptimizerRecipe;
  #state: OptimizerState | undefined;
  #sessions: { general?: Promise<OptimizerGraphSession>; first?: Promise<OptimizerGraphSession> } = {};
  #queue: Promise<unknown> = Promise.resolve();
  #busy = false;
  /** False until an update has run: until then a loaded state adopts the parameters' dtype. */
  #dtypeFixed = false;
  readonly #makeRecipe: (options: Record<string, number>) => OptimizerRecipe;
  readonly #config: GraphOptimizerConfig;

  protected constructor(
    makeRecipe: (options: Record<string, number> | undefined) => OptimizerRecipe,
    options: object | undefined,
    config: GraphOptimizerConfig = {},
  ) {
    this.#makeRecipe = makeRecipe;
    this.#recipe = makeRecipe(options as Record<string, number> | undefined);
    this.#config = config;
  }

  /** `"A2S"`, `"Adam"`, `"RMSProp"` or `"SGDMomentum"`. */
  get kind(): OptimizerKind {
    return this.#recipe.kind;
  }
  /** The resolved hyperparameters. */
  get options(): Readonly<Record<string, number>> {
    return this.#recipe.options;
  }
  /** Steps taken so far. */
  get t(): number {
    return this.#state?.t ?? 0;
  }

  /**
   * One step: checks every name, length, element type and gradient value first (throwing
   * a core error and changing nothing), then runs the optimizer graph and writes the new
   * values into `params`. Calls are queued, so unawaited updates run in order.
   */
  update(params: Record<string, FloatArray>, grads: Record<string, FloatArray>): Promise<void> {
    const run = this.#queue.then(() => this.#step(params, grads));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #step(params: Record<string, FloatArray>, grads: Record<string, FloatArray>): Promise<void> {
    this.#adoptDtype(params);
    const layout = checkUpdate(this.#state?.layout, params, grads, this.#config.shapes);
    const state = this.#stateFor(layout);
    this.#busy = true;
    try {
      const session = await this.#session(state.t === 0);
      await session.run(state, params, grads);
      this.#dtypeFixed = true;
    } finally {
      this.#busy = false;
    }
  }

  /**
   * A state loaded from a checkpoint, before any update, takes the element type of the
   * first parameters it meets (a float64 checkpoint can resume float32 training).
   */
  #adoptDtype(params: Record<string, FloatArray>): void {
    const state = this.#state;
    const first = state ? params?.[state.layout.names[0] as string] : undefined;
    if (!state || this.#dtypeFixed || !isFloatArray(first) || dtypeOf(first) === state.layout.dtype) return;
    const cast = new OptimizerState({ ...state.layout, dtype: dtypeOf(first) }, state.recipe);
    cast.load(state.toCheckpoint());
    this.#state = cast;
    void this.#dropSessions();
  }

  #stateFor(layout: TensorLayout): OptimizerState {
    if (!this.#state) this.#state = new OptimizerState(layout, this.#recipe);
    return this.#state;
  }

  #session(firstStep: boolean): Promise<OptimizerGraphSession> {
    const layout = (this.#state as OptimizerState).layout;
    // Only a recipe that skips slots on step 1 needs a graph of its own there.
    const key = firstStep && this.#recipe.unreadOnFirstStep.length > 0 ? "first" : "general";
    let session = this.#sessions[key];
    if (!session) {
      session = OptimizerGraphSession.create(
        this.#recipe,
        layout,
        key === "first",
        this.#config.sessionOptions,
      );
      this.#sessions[key] = session;
      // A failed creation is retried on the next step rather than cached.
      session.catch(() => {
        if (this.#sessions[key] === session) delete this.#sessions[key];
      });
    }
    return session;
  }

  /**
   * What the last step did: t, w, curvature, lrScale and the effective learning rates.
   * A2S only (undefined for a baseline), and undefined before a step and after a load.
   */
  get diagnostics(): StepDiagnostics | undefined {
    return this.#state?.diagnostics();
  }

  /** A new optimizer of this class holding the options and state of a checkpoint. */
  static fromCheckpoint<T extends GraphOptimizer>(
    this: new (
      options?: undefined,
      config?: GraphOptimizerConfig,
    ) => T,
    bytes: Uint8Array,
    config?: GraphOptimizerConfig,
  ): T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the caller named (A2S, Adam, ...).
    const optimizer = new this(undefined, config);
    optimizer.loadCheckpoint(bytes);
    return optimizer;
  }

  /** The state in the core checkpoint format, loadable by every adapter. */
  saveCheckpoint(): Uint8Array {
    if (!this.#state) {
      return encodeCheckpoint({ algorithm: this.kind, options: { ...this.options }, t: 0, tensors: {} });
    }
    return encodeCheckpoint(this.#state.toCheckpoint());
  }

  /**
   * Restores state saved by any adapter, hyperparameters included. Throws
   * {@link CheckpointError} (changing nothing) for bytes that are damaged, of another
   * algorithm, or for other tensors than this optimizer holds.
   */
  loadCheckpoint(bytes: Uint8Array): void {
    if (this.#busy) throw new Error("loadCheckpoint called while an update is running; await it first");
    const checkpoint = decodeCheckpoint(bytes, { algorithm: this.kind, slots: this.#recipe.slotNames });
    let recipe: OptimizerRecipe;
    try {
      recipe = this.#makeRecipe(checkpoint.options);
    } catch (error) {
      if (error instanceof A2SError) throw new CheckpointError("header", error.message);
      throw error;
    }
    const names = Object.keys(checkpoint.tensors);
    if (checkpoint.t > 0 && names.length === 0) {
      throw new CheckpointError("tensors", `${checkpoint.t} steps taken but no tensor state stored`);
    }
    const layout: TensorLayout = this.#state?.layout ?? {
      names,
      shapes: names.map((name) => checkpoint.tensors[name]?.shape ?? []),
      dtype: names.length > 0 ? dtypeOfCheckpoint(checkpoint.tensors[names[0] as string]?.slots) : "float32",
    };
    const state = new OptimizerState(layout, recipe);
    state.load(checkpoint);
    if (!sameOptions(recipe.options, this.#recipe.options)) this.#dropSessions();
    this.#recipe = recipe;
    this.#state = names.length === 0 && !this.#state ? undefined : state;
    if (!this.#state) this.#dtypeFixed = false;
  }

  /** Releases the onnxruntime sessions; the optimizer makes new ones if used again. */
  async dispose(): Promise<void> {
    await this.#queue;
    await this.#dropSessions();
  }

  async #dropSessions(): Promise<void> {
    const pending = Object.values(this.#sessions);
    this.#sessions = {};
    await Promise.all(pending.map(async (s) => (await s).release()));
  }

  /**
   * The held state, laid out as `layout` when it holds the same tensors with the same
   * lengths under other shapes or another order (@a2s/typed's checkpoints store flat
   * shapes), or in an element type no update has fixed yet. Otherwise unchanged, for the
   * caller to accept or refuse.
   */
  #relaid(layout: TensorLayout): OptimizerState | undefined {
    const held = this.#state;
    if (!held) return undefined;
    const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    const lengths = new Map(
      held.layout.names.map((name, i) => [name, sizeOf(held.layout.shapes[i] as number[])]),
    );
    const sameTensors =
      lengths.size === layout.names.length &&
      layout.names.every((name, i) => lengths.get(name) === sizeOf(layout.shapes[i] as number[]));
    const sameLayout =
      held.layout.names.join("\0") === layout.names.join("\0") &&
      held.layout.shapes.every((shape, i) => shape.join("x") === layout.shapes[i]?.join("x"));
    const dtype = this.#dtypeFixed ? held.layout.dtype : layout.dtype;
    if (!sameTensors || (sameLayout && dtype === held.layout.dtype)) return held;
    const moved = new OptimizerState({ ...layout, dtype }, held.recipe);
    moved.load(held.toCheckpoint());
    this.#state = moved;
    void this.#dropSessions();
    return moved;
  }

  /**
   * @internal For the trainer's fused graph: the optimizer's state, or a fresh one for
   * `layout` with `adopt` to install it once a step on it has succeeded (a failed first
   * step leaves the optimizer fresh, as a failed `update` does).
   */
  [ATTACH](layout: TensorLayout): { state: OptimizerState; adopt(): void } {
    const held = this.#relaid(layout);
    if (held) return { state: held, adopt: () => undefined };
    const state = new OptimizerState(layout, this.#recipe);
    return {
      state,
      adopt: () => {
        this.#state ??= state;
        this.#dtypeFixed = true;
      },
    };
  }
}

function sameOptions(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  return Object.keys(a).every((key) => a[key] === b[key]);
}

function dtypeOfCheckpoint(slots: Record<string, FloatArray> | undefined): "float32" | "float64" {
  const first = slots ? Object.values(slots)[0] : undefined;
  return first instanceof Float64Array ? "float64" : "float32";
}

/**
 * A2S (AdaFusion): Adam blended into SGD with momentum, both learning rates shrunk by the
 * gradient-difference norm. Step 1 (no previous gradient, curvature 0) runs a second graph
 * recorded from core's own first-step branch; every later step runs the general one.
 */
export class A2S extends GraphOptimizer {
  constructor(options?: Partial<A2SOptions>, config?: GraphOptimizerConfig) {
    super(a2sRecipe, options, config);
  }
}

/** Adam, from core's `adamUpdate`. */
export class Adam extends GraphOptimizer {
  constructor(options?: Partial<AdamOptions>, config?: GraphOptimizerConfig) {
    super(adamRecipe, options, config);
  }
}

/** RMSProp, from core's `rmspropUpdate`. */
export class RMSProp extends GraphOptimizer {
  constructor(options?: Partial<RMSPropOptions>, config?: GraphOptimizerConfig) {
    super(rmspropRecipe, options, config);
  }
}

/** SGD with momentum in the seed's form, from core's `sgdMomentumUpdate`. */
export class SGDMomentum extends GraphOptimizer {
  constructor(options?: Partial<SGDMomentumOptions>, config?: GraphOptimizerConfig) {
    super(sgdMomentumRecipe, options, config);
  }
}
