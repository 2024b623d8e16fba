/**
 * Records an optimizer step into a graph: its slot inputs, the recipe's nodes, and the
 * outputs (new parameters, new slots, A2S's scalars). Shared by the standalone optimizer
 * graph and the trainer's fused graph, which differ only in where gradients come from.
 * The recipe runs over units (see units.ts); parameters go in and out per tensor.
 */
import type { StepScalarName } from "@a2s/core";
import type { GraphBuilder, Sym } from "./graph-builder.js";
import type { OptimizerRecipe, RecordedScalar } from "./recipes.js";
import { SymbolicOps } from "./symbolic-ops.js";
import { recordJoin, recordSplit, unitShape } from "./units.js";

/** Names of an optimizer step's inputs and outputs in a recorded graph. */
export interface OptimizerGraphIO {
  /** Per unit, per slot of the recipe (in `slotNames` order): the input name, or null if unread. */
  slotInputs: (string | null)[][];
  /** Per tensor: the output holding the new parameter. */
  paramOutputs: string[];
  /** Per unit, per slot: the output holding the new slot. */
  slotOutputs: string[][];
  /** Step scalars the graph takes as inputs. */
  stepScalars: StepScalarName[];
  /** A2S's scalars, as outputs. */
  scalarOutputs: Partial<Record<RecordedScalar, string>>;
}

/** The graph values of a recorded step that a caller may build on. */
export interface RecordedOptimizerStep {
  io: OptimizerGraphIO;
  /** The gradients as the recipe saw them, one per unit. */
  unitGrads: Sym[];
}

export function recordOptimizerStep(
  graph: GraphBuilder,
  recipe: OptimizerRecipe,
  shapes: readonly (readonly number[])[],
  units: readonly (readonly number[])[],
  params: readonly Sym[],
  grads: readonly Sym[],
  firstStep: boolean,
): RecordedOptimizerStep {
  const ops = new SymbolicOps(graph);
  const skipped = new Set(firstStep ? recipe.unreadOnFirstStep : []);
  const unitShapes = units.map((unit) => unitShape(unit, shapes));
  const unitParams = units.map((unit) => recordJoin(graph, unit, params, shapes));
  const unitGrads = units.map((unit) => recordJoin(graph, unit, grads, shapes));
  const slotInputs = unitParams.map((param, u) =>
    recipe.slotNames.map((slot) =>
      skipped.has(slot) ? null : graph.input(`slot${u}_${slot}`, param.dtype, unitShapes[u] as number[]).name,
    ),
  );
  const recorded = recipe.record(
    ops,
    unitParams.map((param, u) => ({
      param,
      grad: unitGrads[u] as Sym,
      slots: Object.fromEntries(
        recipe.slotNames.map((slot, s) => {
          const name = slotInputs[u]?.[s];
          return [slot, name ? { name, dtype: param.dtype } : undefined];
        }),
      ),
    })),
  );
  const paramOutputs: string[] = new Array(shapes.length);
  recorded.tensors.forEach((t, u) => {
    const unit = units[u] as number[];
    recordSplit(graph, unit, t.param, shapes).forEach((value, k) => {
      const i = unit[k] as number;
      paramOutputs[i] = graph.output(value, shapes[i] as number[]);
    });
  });
  const slotOutputs = recorded.tensors.map((t, u) =>
    recipe.slotNames.map((slot) => graph.output(t.slots[slot] as Sym, unitShapes[u] as number[])),
  );
  const scalarOutputs: Partial<Record<RecordedScalar, string>> = {};
  for (const [key, sym] of Object.entries(recorded.scalars) as [RecordedScalar, Sym][]) {
    scalarOutputs[key] = graph.output(sym, []);
  }
  return {
    io: { slotInputs, paramOutputs, slotOutputs, stepScalars: ops.stepScalarNames(), scalarOutputs },
    unitGrads,
  };
}
