import { InferenceSession, Tensor } from "onnxruntime-node";
import { expect, test } from "vitest";
import { GraphBuilder } from "../src/graph-builder.js";

test("constants are shared, and outputs of inputs, constants or repeated values get an Identity", async () => {
  const graph = new GraphBuilder("outputs");
  const a = graph.input("a", "float64", [2]);
  expect(() => graph.input("a", "float64", [2])).toThrow(/in use already/);
  const two = graph.constant(2, "float64");
  expect(graph.constant(2, "float64")).toBe(two);
  expect(graph.constant(2, "float32")).not.toBe(two);
  const doubled = graph.node("Mul", [a, two], "float64");
  const names = [
    graph.output(a, [2]),
    graph.output(two, []),
    graph.output(doubled, [2]),
    graph.output(doubled, [2]),
  ];
  // Four distinct outputs: the input, the constant and the second use of `doubled` got
  // Identity nodes; the first use of `doubled` is fetched under its own name.
  expect(new Set(names).size).toBe(4);
  expect(names[2]).toBe(doubled.name);
  const session = await InferenceSession.create(graph.toBytes());
  const out = await session.run({ a: new Tensor("float64", Float64Array.of(1.5, -3), [2]) });
  expect(Array.from((out[names[0] as string] as Tensor).data as Float64Array)).toEqual([1.5, -3]);
  expect((out[names[1] as string] as Tensor).data[0]).toBe(2);
  expect(Array.from((out[names[2] as string] as Tensor).data as Float64Array)).toEqual([3, -6]);
  expect(Array.from((out[names[3] as string] as Tensor).data as Float64Array)).toEqual([3, -6]);
  await session.release();
});

test("a named output and weights keep their names in the model", async () => {
  const graph = new GraphBuilder("named");
  const x = graph.input("x", "float32", ["n", 2]);
  const w = graph.weights("w", Float32Array.of(1, 2, 3, 4), [2, 2]);
  graph.output(graph.node("MatMul", [x, w], "float32"), ["n", 2], "y");
  const session = await InferenceSession.create(graph.toBytes());
  expect(session.inputNames).toEqual(["x"]);
  expect(session.outputNames).toEqual(["y"]);
  const { y } = await session.run({ x: new Tensor("float32", Float32Array.of(1, 1, 0, 1), [2, 2]) });
  expect(Array.from((y as Tensor).data as Float32Array)).toEqual([4, 6, 3, 4]);
  await session.release();
});
