/**
 * Units: how an optimizer graph groups tensors. A large tensor is a unit of its own; the
 * others of each parameter group are concatenated into one, so the optimizer's two dozen
 * elementwise nodes run once over them together instead of once per tensor, which saves
 * onnxruntime's fixed cost per node and per output. The arithmetic per element is
 * unchanged; only the global sums add their terms in another grouping. Only algorithms
 * that treat every element alike may be run over units (see step-recording.ts).
 */
import type { GraphBuilder, Sym } from "./graph-builder.js";

/**
 * Tensors with at least this many elements form a unit of their own. A tensor in a
 * shared unit is copied once per step (the caller's parameters gathered, or a model's
 * gradient concatenated), which costs more than the fixed costs it saves only for tensors
 * of some hundred thousand elements and up (the seed's MLP, all of whose tensors share a
 * unit, is measured in the package's bench rows).
 */
export const OWN_UNIT_ELEMENTS = 262_144;

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Tensor indices per unit: large tensors alone, in order, then the small ones of each
 * group together (groups in order of first appearance).
 */
export function groupUnits(shapes: readonly (readonly number[])[], groups?: readonly number[]): number[][] {
  const large: number[][] = [];
  const small = new Map<number, number[]>();
  shapes.forEach((shape, i) => {
    if (sizeOf(shape) >= OWN_UNIT_ELEMENTS) large.push([i]);
    else {
      const group = groups?.[i] ?? 0;
      const members = small.get(group) ?? [];
      members.push(i);
      small.set(group, members);
    }
  });
  return [...large, ...small.values()];
}

/** A unit's shape: its tensor's own, or one axis holding all its tensors' elements. */
export function unitShape(unit: readonly number[], shapes: readonly (readonly number[])[]): number[] {
  if (unit.length === 1) return [...(shapes[unit[0] as number] as number[])];
  return [unit.reduce((n, i) => n + sizeOf(shapes[i] as number[]), 0)];
}

/** The unit's value: the tensor itself, or its tensors flattened and concatenated. */
export function recordJoin(
  graph: GraphBuilder,
  unit: readonly number[],
  values: readonly Sym[],
  shapes: readonly (readonly number[])[],
): Sym {
  if (unit.length === 1) return values[unit[0] as number] as Sym;
  const parts = unit.map((i) => {
    const value = values[i] as Sym;
    if ((shapes[i] as number[]).length === 1) return value;
    return graph.node("Reshape", [value, graph.constant([-1], "int64")], value.dtype);
  });
  return graph.node("Concat", parts, (values[unit[0] as number] as Sym).dtype, { axis: 0 });
}
