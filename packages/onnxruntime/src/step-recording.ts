/**
 * Records one optimizer step into a graph: core's `runStep` run once over
 * {@link SymbolicOps}, for any algorithm. The graph takes the parameters, gradients,
 * state and the step's host values as inputs and gives the new parameters and state,
 * the published values and a finiteness check as outputs. With an `allReduce`, each
 * global sum becomes a boundary: its local partial sums are outputs and the totals
 * inputs, and the graph is run in stages, one per boundary and a last one.
 *
 * The step works on units (see units.ts): each unit's parameter, gradient and state is
 * one value of the graph, fed and fetched as one tensor.
 */
import {
  type Algorithm,
  type AlgorithmDefinition,
  a2s,
  adam,
  type FloatDType,
  rmsprop,
  runStep,
  sgdMomentum,
  type TensorInfo,
} from "@a2s/core";
import type { GraphBuilder, Sym } from "./graph-builder.js";
import { STEP_NAMES } from "./step-names.js";
import { SymbolicOps } from "./symbolic-ops.js";
import { groupUnits, unitShape } from "./units.js";

/**
 * Algorithms whose transforms treat every element alike and sum only over all tensors
 * together: for them small tensors may share a unit. Any other algorithm may look at a
 * tensor as a whole (a per-tensor norm), so each of its tensors is a unit of its own.
 */
const ELEMENTWISE = new Set<AlgorithmDefinition>([
  a2s.definition,
  adam.definition,
  rmsprop.definition,
  sgdMomentum.definition,
]);

/** A graph input fed each step with a value computed on the host from `t`. */
export interface HostInput {
  /** The name the step gives the value (`2.w#0`). */
  readonly key: string;
  /** The graph input (`step/2.w#0`), absent from the graph when the value is pinned. */
  readonly input: string;
  readonly value: (t: number) => number;
}

/** Where a published value comes from: a graph output, a host value or a constant. */
export interface PublishedValue {
  readonly name: string;
  readonly output?: string;
  /** Index into {@link StepRecording.host}. */
  readonly host?: number;
  readonly constant?: number;
}

/** One global sum of a sharded step: the local partials it outputs and the totals it takes. */
export interface Reduction {
  readonly partials: readonly string[];
  readonly totals: readonly string[];
}

/**
 * A new slot value that is a value the run was fed, so it is not fetched: the slot's own
 * value unchanged (`kept`), or the unit's gradient (`gradient`: A2S keeps it as `prev`).
 */
export type Source = "kept" | "gradient";

/** How the tensors are grouped into units for a graph. */
export interface UnitLayout {
  /** Tensor indices per unit, in the order their elements are concatenated. */
  readonly units: readonly (readonly number[])[];
  /** Each unit's shape in the graph: its tensor's own (in `shapes`), or flat for several. */
  readonly shapes: readonly (readonly number[])[];
  /** `STEP_NAMES`' name of each unit: its tensor's, or theirs joined by `+`. */
  readonly names: readonly string[];
}

/** The units of `tensors` for `algorithm`, with the tensors in the graph in `shapes`. */
export function unitLayout(
  algorithm: Algorithm,
  tensors: readonly TensorInfo[],
  shapes: readonly (readonly number[])[],
): UnitLayout {
  const units = ELEMENTWISE.has(algorithm.definition)
    ? groupUnits(
        shapes,
        tensors.map((info) => info.group),
      )
    : tensors.map((_, i) => [i]);
  return {
    units,
    shapes: units.map((unit) => unitShape(unit, shapes)),
    names: units.map((unit) => unit.map((i) => (tensors[i] as TensorInfo).name).join("+")),
  };
}

/** The recorded step and the names of everything a run feeds and fetches, per unit. */
export interface StepRecording {
  readonly graph: GraphBuilder;
  readonly dtype: FloatDType;
  readonly layout: UnitLayout;
  readonly host: readonly HostInput[];
  /** Host values recorded as constants, by {@link HostInput.key}. */
  readonly pins: ReadonlyMap<string, number>;
  /** Per unit, per slot (in the algorithm's slot order). */
  readonly slotInputs: readonly (readonly string[])[];
  /** In the algorithm's scalar order. */
  readonly scalarInputs: readonly string[];
  readonly paramOutputs: readonly string[];
  /** Per unit, per slot: the output, or undefined where {@link slotSources} names what was fed. */
  readonly slotOutputs: readonly (readonly (string | undefined)[])[];
  readonly slotSources: readonly (readonly (Source | undefined)[])[];
  /** The output, or undefined for a scalar that keeps its value. */
  readonly scalarOutputs: readonly (string | undefined)[];
  readonly published: readonly PublishedValue[];
  /** Rank-0 output of the last run: finite when every result (and, unstaged, every gradient) is. */
  readonly check: string;
  /** Staged: rank-0 output of the first run, finite when every gradient is. */
  readonly gradientCheck: string | undefined;
  /** Each unit's gradient as an output, fetched only to name a non-finite one. */
  readonly gradientOutputs: readonly string[];
  readonly reductions: readonly Reduction[];
  /** Elements the optimizer's nodes compute in the last run (what pinning host values saves). */
  readonly work: number;
}

export interface RecordInput {
  readonly graph: GraphBuilder;
  readonly algorithm: Algorithm;
  readonly tensors: readonly TensorInfo[];
  readonly dtype: FloatDType;
  readonly layout: UnitLayout;
  /** The step count the recording is made at (host values are evaluated at it once). */
  readonly t: number;
  /** Each unit's parameter and gradient in the graph, in the unit's shape. */
  readonly params: readonly Sym[];
  readonly grads: readonly Sym[];
  /** Whether the global sums go through an `allReduce` (then the graph is staged). */
  readonly sharded: boolean;
  /** Host values to record as constants, by {@link HostInput.key} (see pins.ts). */
  readonly pins?: ReadonlyMap<string, number>;
  /**
   * Whether the gradients are graph inputs the caller feeds from arrays it owns, so that a
   * slot that keeps the gradient can take the fed array instead of an output.
   */
  readonly fedGradients?: boolean;
}

/** Records one step of `algorithm` into `input.graph`. */
export function recordStep(input: RecordInput): StepRecording {
  const { graph, algorithm, tensors, dtype, layout } = input;
  const { units } = layout;
  const unitShapes = layout.shapes as number[][];
  const unitInfos: TensorInfo[] = units.map((unit, u) => {
    // A transform sees a tensor alone as it is, and a unit as one flat tensor.
    const shape =
      unit.length === 1 ? (tensors[unit[0] as number] as TensorInfo).shape : (unitShapes[u] as number[]);
    return {
      name: layout.names[u] as string,
      shape,
      size: shape.reduce((a, b) => a * b, 1),
      group: (tensors[unit[0] as number] as TensorInfo).group,
    };
  });

  const pins = input.pins ?? new Map<string, number>();
  const ops = new SymbolicOps(graph, STEP_NAMES.host, pins);
  const slotNames = algorithm.slots.map(([slot]) => slot);
  const slotInputs = units.map((_, u) =>
    slotNames.map((slot) =>
      ops.declare(
        graph.input(STEP_NAMES.slot(layout.names[u] as string, slot), dtype, unitShapes[u] as number[]),
        unitShapes[u] as number[],
      ),
    ),
  );
  const scalarInputs = algorithm.scalars.map(([name]) =>
    ops.declare(graph.input(STEP_NAMES.scalar(name), dtype, []), []),
  );
  const unitGrads = input.grads.map((grad, u) => ops.declare(grad, unitShapes[u] as number[]));
  const params = input.params.map((param, u) => ops.declare(param, unitShapes[u] as number[]));
  const gradientOutputs = unitGrads.map((grad, u) =>
    graph.copyOutput(grad, unitShapes[u] as number[], `diagnosis/${layout.names[u]}`),
  );

  const host: HostInput[] = [];
  const reductions: Reduction[] = [];
  const result = runStep({
    ops,
    algorithm,
    tensors: unitInfos,
    t: input.t,
    params,
    grads: unitGrads,
    state: {
      slots: slotInputs.map((own) => Object.fromEntries(slotNames.map((slot, s) => [slot, own[s] as Sym]))),
      scalars: Object.fromEntries(algorithm.scalars.map(([name], k) => [name, scalarInputs[k] as Sym])),
    },
    like: unitGrads[0] as Sym,
    reduce(partials) {
      const local = partials.map((list) => list.reduce((a, b) => ops.add(a, b)));
      if (!input.sharded) return local;
      const index = reductions.length;
      reductions.push({
        partials: local.map((sym, j) => graph.output(sym, [], STEP_NAMES.partial(index, j))),
        totals: local.map((_, j) => STEP_NAMES.total(index, j)),
      });
      return local.map((_, j) => ops.declare(graph.input(STEP_NAMES.total(index, j), dtype, []), []));
    },
    onHostValue(key, value) {
      host.push({ key, input: STEP_NAMES.host(key), value });
    },
  });

  // A new state value that is a value the run was fed is taken from what was fed: the
  // slot's own, or the gradient when the caller feeds it (once per unit: it is moved).
  const slotSources = units.map((_, u) => {
    const grad = unitGrads[u] as Sym;
    let gradientTaken = input.fedGradients !== true || !graph.isInput(grad.name);
    return slotNames.map((slot, s): Source | undefined => {
      const value = (result.slots[u]?.[slot] as Sym).name;
      if (value === slotInputs[u]?.[s]?.name) return "kept";
      if (value !== grad.name || gradientTaken) return undefined;
      gradientTaken = true;
      return "gradient";
    });
  });
  const scalarKept = algorithm.scalars.map(
    ([name], k) => (result.scalars[name] as Sym).name === (scalarInputs[k] as Sym).name,
  );

  // Checks and published values read values that become outputs below; outputs rename
  // the nodes that compute them, so every reader is recorded first. With no global sum
  // there is one run, which checks everything at once.
  const staged = reductions.length > 0;
  const sumOfSums = (values: readonly Sym[]) => {
    const parts = uncovered(ops, values).map((value) =>
      graph.node("ReduceSum", [value], dtype, { keepdims: 0 }),
    );
    return parts.length === 0 ? ops.scalar(0, unitGrads[0] as Sym) : parts.reduce((a, b) => ops.add(a, b));
  };
  const gradientCheck = staged ? graph.output(sumOfSums(unitGrads), [], STEP_NAMES.gradientCheck) : undefined;
  const check = graph.output(
    sumOfSums([
      ...(staged ? [] : unitGrads),
      ...result.params,
      ...result.slots.flatMap((own, u) =>
        slotNames.flatMap((slot, s) => (slotSources[u]?.[s] === undefined ? [own[slot] as Sym] : [])),
      ),
      ...algorithm.scalars.flatMap(([name], k) => (scalarKept[k] ? [] : [result.scalars[name] as Sym])),
    ]),
    [],
    STEP_NAMES.check,
  );

  const hostIndex = new Map(host.map((h, k) => [h.key, k]));
  const hostOf = new Map<Sym, string>([
    ...[...ops.stepInputs].map(([key, sym]): [Sym, string] => [sym, key]),
    ...[...ops.pinnedInputs].map(([key, sym]): [Sym, string] => [sym, key]),
  ]);
  const published: PublishedValue[] = [...result.published].map(([name, sym]) => {
    const key = hostOf.get(sym);
    if (key !== undefined) return { name, host: hostIndex.get(key) as number };
    const constant = ops.constantOf(sym);
    if (constant !== undefined) return { name, constant };
    return { name, output: graph.output(sym, [], STEP_NAMES.published(name)) };
  });

  const paramOutputs = units.map((_, u) =>
    graph.output(
      ops.materialize(result.params[u] as Sym),
      unitShapes[u] as number[],
      STEP_NAMES.newParam(layout.names[u] as string),
    ),
  );
  const slotOutputs = units.map((_, u) =>
    slotNames.map((slot, s) =>
      slotSources[u]?.[s] === undefined
        ? graph.output(
            ops.materialize(result.slots[u]?.[slot] as Sym),
            unitShapes[u] as number[],
            STEP_NAMES.newSlot(layout.names[u] as string, slot),
          )
        : undefined,
    ),
  );
  const scalarOutputs = algorithm.scalars.map(([name], k) =>
    scalarKept[k] ? undefined : graph.output(result.scalars[name] as Sym, [], STEP_NAMES.newScalar(name)),
  );
  const reads = [
    ...paramOutputs,
    ...slotOutputs.flat(),
    ...scalarOutputs,
    ...published.flatMap((p) => (p.output === undefined ? [] : [p.output])),
    check,
  ].filter((name): name is string => name !== undefined);
  // Rank-0 arithmetic costs a node's fixed overhead whatever it does; work is elementwise.
  const elements = new Map<string, number>();
  for (const [name, count] of ops.nodeElements()) if (count > 1) elements.set(graph.current(name), count);
  const work = graph.computedFor(reads).reduce((sum, name) => sum + (elements.get(name) ?? 0), 0);
  return {
    graph,
    dtype,
    layout,
    host,
    pins,
    slotInputs: slotInputs.map((own) => own.map((sym) => sym.name)),
    scalarInputs: scalarInputs.map((sym) => sym.name),
    paramOutputs,
    slotOutputs,
    slotSources,
    scalarOutputs,
    published,
    check,
    gradientCheck,
    gradientOutputs,
    reductions,
    work,
  };
}

/**
 * The values among `values` whose NaN or ±Infinity elements would not show in another of
 * them (none of the nodes that carry them, see {@link SymbolicOps.carriers}, leads to
 * another), constants left out: summing these finds a non-finite element in any of
 * `values`, with one reduction per value that nothing else covers.
 */
function uncovered(ops: SymbolicOps, values: readonly Sym[]): Sym[] {
  const distinct = new Map<string, Sym>();
  for (const value of values) {
    if (ops.constantOf(value) === undefined && !distinct.has(value.name)) distinct.set(value.name, value);
  }
  const consumers = new Map<string, string[]>();
  for (const [result, carriers] of ops.carriers) {
    for (const carrier of carriers) {
      const list = consumers.get(carrier.name) ?? [];
      list.push(result);
      consumers.set(carrier.name, list);
    }
  }
  const reachesAnother = (from: string) => {
    const seen = new Set([from]);
    const pending = [from];
    while (pending.length > 0) {
      for (const next of consumers.get(pending.pop() as string) ?? []) {
        if (seen.has(next)) continue;
        if (distinct.has(next)) return true;
        seen.add(next);
        pending.push(next);
      }
    }
    return false;
  };
  return [...distinct.values()].filter((value) => !reachesAnother(value.name));
}
