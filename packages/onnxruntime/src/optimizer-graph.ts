/**
 * Records an optimizer step into a graph: its slot inputs, the recipe's nodes, and the
 * outputs (new parameters, new slots, A2S's scalars). Shared by the standalone optimizer
 * graph and the trainer's fused graph, which differ only in where gradients come from.
 */
import type { StepScalarName } from "@a2s/core";
import type { GraphBuilder, Sym } from "./graph-builder.js";
import type { OptimizerRecipe, RecordedScalar } from "./recipes.js";
import { SymbolicOps } from "./symbolic-ops.js";

/** Names of an optimizer step's inputs and outputs in a recorded graph. */
export interface OptimizerGraphIO {
  /** Per tensor, per slot of the recipe (in `slotNames` order): the input name, or null if unread. */
  slotInputs: (string | null)[][];
  /** Per tensor: the output holding the new parameter. */
  paramOutputs: string[];
  /** Per tensor, per slot: the output holding the new slot. */
  slotOutputs: string[][];
  /** Step scalars the graph takes as inputs. */
  stepScalars: StepScalarName[];
  /** A2S's scalars, as outputs. */
  scalarOutputs: Partial<Record<RecordedScalar, string>>;
}

export function recordOptimizerStep(
  graph: GraphBuilder,
  recipe: OptimizerRecipe,
  shapes: readonly (readonly number[])[],
  params: readonly Sym[],
  grads: readonly Sym[],
  firstStep: boolean,
): OptimizerGraphIO {
  const ops = new SymbolicOps(graph);
  const skipped = new Set(firstStep ? recipe.unreadOnFirstStep : []);
  const slotInputs = params.map((param, i) =>
    recipe.slotNames.map((slot) =>
      skipped.has(slot) ? null : graph.input(`slot${i}_${slot}`, param.dtype, shapes[i] as number[]).name,
    ),
  );
  const recorded = recipe.record(
    ops,
    params.map((param, i) => ({
      param,
      grad: grads[i] as Sym,
      slots: Object.fromEntries(
        recipe.slotNames.map((slot, s) => {
          const name = slotInputs[i]?.[s];
          return [slot, name ? { name, dtype: param.dtype } : undefined];
        }),
      ),
    })),
  );
  const paramOutputs = recorded.tensors.map((t, i) => graph.output(t.param, shapes[i] as number[]));
  const slotOutputs = recorded.tensors.map((t, i) =>
    recipe.slotNames.map((slot) => graph.output(t.slots[slot] as Sym, shapes[i] as number[])),
  );
  const scalarOutputs: Partial<Record<RecordedScalar, string>> = {};
  for (const [key, sym] of Object.entries(recorded.scalars) as [RecordedScalar, Sym][]) {
    scalarOutputs[key] = graph.output(sym, []);
  }
  return { slotInputs, paramOutputs, slotOutputs, stepScalars: ops.stepScalarNames(), scalarOutputs };
}
