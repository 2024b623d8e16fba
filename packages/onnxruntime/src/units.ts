/**
 * Units: how an optimizer graph groups tensors. A large tensor is a unit of its own; all
 * small ones are concatenated into one, so the optimizer's two dozen elementwise nodes
 * run once over them together instead of once per tensor. On the seed's MLP that removes
 * about 80 nodes whose cost was mostly onnxruntime's per-node overhead, not arithmetic.
 * The arithmetic per element is unchanged; only the curvature's sum of squares adds its
 * terms in another grouping.
 */
import type { GraphBuilder, Sym } from "./graph-builder.js";

/** Tensors with at least this many elements form a unit of their own. */
export const OWN_UNIT_ELEMENTS = 16_384;

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Tensor indices per unit: large tensors alone, in order, then all small ones together. */
export function groupUnits(shapes: readonly (readonly number[])[]): number[][] {
  const large: number[][] = [];
  const small: number[] = [];
  shapes.forEach((shape, i) => {
    if (sizeOf(shape) >= OWN_UNIT_ELEMENTS) large.push([i]);
    else small.push(i);
  });
  return small.length > 0 ? [...large, small] : large;
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

/** The inverse of {@link recordJoin}: one value per tensor of the unit, in its shape. */
export function recordSplit(
  graph: GraphBuilder,
  unit: readonly number[],
  joined: Sym,
  shapes: readonly (readonly number[])[],
): Sym[] {
  if (unit.length === 1) return [joined];
  const sizes = graph.constant(
    unit.map((i) => sizeOf(shapes[i] as number[])),
    "int64",
  );
  const parts = graph.nodeOutputs("Split", [joined, sizes], joined.dtype, unit.length, { axis: 0 });
  return parts.map((part, k) => {
    const shape = shapes[unit[k] as number] as number[];
    return shape.length === 1
      ? part
      : graph.node("Reshape", [part, graph.constant(shape, "int64")], part.dtype);
  });
}
