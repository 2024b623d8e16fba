/**
 * A small gradient graph made by hand, as a user would bring one: linear regression
 * `prediction = x W + b`, loss = mean squared error, with the gradients of W and b as
 * outputs. Parameters a graph takes as inputs (the default) or holds as initializers.
 */
import { GraphBuilder, type Sym } from "../src/graph-builder.js";

export const FEATURES = 5;

export interface LinearModelOptions {
  /** Parameters the model holds as initializers (with these values) instead of taking as inputs. */
  readonly initializers?: Readonly<Record<string, Float32Array>>;
  /** Parameters taken as plain inputs: the model outputs no gradient for them. */
  readonly fixed?: readonly ("W" | "b")[];
  /** Element type of everything but the initializers (float32). Default float32. */
  readonly dtype?: "float32" | "float64";
}

/** Inputs `x` [n, 5] and `y` [n], `W` [5] and `b` [1]; outputs `loss`, `grad_W`, `grad_b`. */
export function linearModel(options: LinearModelOptions = {}): Uint8Array {
  const dtype = options.dtype ?? "float32";
  const graph = new GraphBuilder("linear_regression");
  const x = graph.input("x", dtype, ["n", FEATURES]);
  const y = graph.input("y", dtype, ["n"]);
  const param = (name: string, dims: number[]): Sym => {
    const value = options.initializers?.[name];
    return value ? graph.weights(name, value, dims) : graph.input(name, dtype, dims);
  };
  const W = param("W", [FEATURES]);
  const b = param("b", [1]);
  const prediction = graph.node("Add", [graph.node("MatMul", [x, W], dtype), b], dtype);
  const error = graph.node("Sub", [prediction, y], dtype);
  const loss = graph.node("ReduceMean", [graph.node("Mul", [error, error], dtype)], dtype, {
    keepdims: 0,
  });
  graph.output(loss, [], "loss");
  // d loss / d prediction = 2 error / n.
  const n = graph.node("Cast", [graph.node("Shape", [x], "int64", { start: 0, end: 1 })], dtype, {
    to: dtype === "float64" ? 11 : 1,
  });
  const dPrediction = graph.node(
    "Div",
    [graph.node("Mul", [error, graph.constant(2, dtype)], dtype), n],
    dtype,
  );
  if (!options.fixed?.includes("W")) {
    const gradW = graph.node(
      "MatMul",
      [graph.node("Unsqueeze", [dPrediction, graph.constant([0], "int64")], dtype), x],
      dtype,
    );
    graph.output(
      graph.node("Reshape", [gradW, graph.constant([FEATURES], "int64")], dtype),
      [FEATURES],
      "grad_W",
    );
  }
  if (!options.fixed?.includes("b")) {
    graph.output(
      graph.node("ReduceSum", [dPrediction, graph.constant([0], "int64")], dtype, { keepdims: 1 }),
      [1],
      "grad_b",
    );
  }
  return graph.toBytes("linear regression with its gradients");
}

/** A reproducible batch: `y` from a known linear rule plus a wiggle. */
export function batch(step: number, rows = 16, dtype: "float32" | "float64" = "float32") {
  const inDtype = (values: number[]) =>
    dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
  const x = inDtype(Array.from({ length: rows * FEATURES }, (_, i) => Math.sin(step * 1.3 + i * 0.7)));
  const y = inDtype(
    Array.from({ length: rows }, (_, r) => {
      let sum = 0.5;
      for (let k = 0; k < FEATURES; k++) sum += (k - 2) * (x[r * FEATURES + k] as number);
      return sum + 0.1 * Math.cos(step + r);
    }),
  );
  return { x, y };
}

export const feeds = ({ x, y }: { x: Float32Array | Float64Array; y: Float32Array | Float64Array }) => {
  const type = x instanceof Float64Array ? "float64" : "float32";
  return {
    x: { type, data: x, dims: [y.length, FEATURES] },
    y: { type, data: y, dims: [y.length] },
  };
};
