/**
 * The standalone optimizer graph: parameters and gradients in, new parameters and slots
 * out, made into a session once per layout and reused for every step.
 */
import { allocateLike, type FloatArray } from "@a2s/core";
import { type InferenceSession, Tensor } from "onnxruntime-node";
import { GraphBuilder } from "./graph-builder.js";
import { type OptimizerGraphIO, recordOptimizerStep } from "./optimizer-graph.js";
import type { OptimizerState, TensorLayout } from "./optimizer-state.js";
import type { OptimizerRecipe } from "./recipes.js";
import { createSession } from "./session.js";
import { groupUnits } from "./units.js";

/** The optimizer step alone as ONNX model bytes, with the names of its inputs and outputs. */
export function buildOptimizerModel(
  recipe: OptimizerRecipe,
  layout: TensorLayout,
  firstStep: boolean,
): { bytes: Uint8Array; io: OptimizerGraphIO; paramInputs: string[]; gradInputs: string[] } {
  const graph = new GraphBuilder(`${recipe.kind}_step`);
  const params = layout.shapes.map((shape, i) => graph.input(`param${i}`, layout.dtype, shape));
  const grads = layout.shapes.map((shape, i) => graph.input(`grad${i}`, layout.dtype, shape));
  const { io } = recordOptimizerStep(
    graph,
    recipe,
    layout.shapes,
    groupUnits(layout.shapes),
    params,
    grads,
    firstStep,
  );
  return {
    bytes: graph.toBytes(`${recipe.kind} update recorded from @a2s/core`),
    io,
    paramInputs: params.map((p) => p.name),
    gradInputs: grads.map((g) => g.name),
  };
}

/** A wrapped user array, kept while the user passes the same array again. */
interface Wrapped {
  array: FloatArray | undefined;
  tensor: Tensor | undefined;
}

/** A standalone optimizer graph's session with its pre-bound feeds and outputs. */
export class OptimizerGraphSession {
  private readonly feeds: Record<string, Tensor> = {};
  private readonly fetches: Record<string, Tensor> = {};
  private readonly wrappedParams: Wrapped[];
  private readonly wrappedGrads: Wrapped[];
  /** New parameters land here, then are copied into the caller's arrays. */
  private readonly scratch: { array: FloatArray; tensor: Tensor }[];

  private constructor(
    private readonly session: InferenceSession,
    private readonly model: ReturnType<typeof buildOptimizerModel>,
    private readonly layout: TensorLayout,
  ) {
    this.wrappedParams = layout.names.map(() => ({ array: undefined, tensor: undefined }));
    this.wrappedGrads = layout.names.map(() => ({ array: undefined, tensor: undefined }));
    this.scratch = layout.shapes.map((shape) => {
      const array = allocateLike(
        layout.dtype,
        shape.reduce((a, b) => a * b, 1),
      );
      return { array, tensor: new Tensor(layout.dtype, array, shape) };
    });
    model.io.paramOutputs.forEach((name, i) => {
      this.fetches[name] = (this.scratch[i] as { tensor: Tensor }).tensor;
    });
  }

  static async create(
    recipe: OptimizerRecipe,
    layout: TensorLayout,
    firstStep: boolean,
    sessionOptions?: InferenceSession.SessionOptions,
  ): Promise<OptimizerGraphSession> {
    const model = buildOptimizerModel(recipe, layout, firstStep);
    return new OptimizerGraphSession(await createSession(model.bytes, sessionOptions), model, layout);
  }

  private wrap(slot: Wrapped, array: FloatArray, shape: readonly number[]): Tensor {
    if (slot.array !== array || slot.tensor === undefined) {
      slot.array = array;
      slot.tensor = new Tensor(this.layout.dtype, array, shape);
    }
    return slot.tensor;
  }

  /** Runs one checked step: writes the new parameters into `params` and commits `state`. */
  async run(
    state: OptimizerState,
    params: Readonly<Record<string, FloatArray>>,
    grads: Readonly<Record<string, FloatArray>>,
  ): Promise<void> {
    const { names, shapes } = this.layout;
    names.forEach((name, i) => {
      const shape = shapes[i] as number[];
      this.feeds[this.model.paramInputs[i] as string] = this.wrap(
        this.wrappedParams[i] as Wrapped,
        params[name] as FloatArray,
        shape,
      );
      this.feeds[this.model.gradInputs[i] as string] = this.wrap(
        this.wrappedGrads[i] as Wrapped,
        grads[name] as FloatArray,
        shape,
      );
    });
    state.bindRun(this.model.io, this.feeds, this.fetches);
    await this.session.run(this.feeds, this.fetches);
    names.forEach((name, i) => {
      (params[name] as FloatArray).set((this.scratch[i] as { array: FloatArray }).array);
    });
    state.commit();
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
