import { InferenceSession, Tensor } from "onnxruntime-node";
import { expect, test } from "vitest";
import { GraphBuilder } from "../src/graph-builder.js";
import { mlpParamShapes, SEED_LAYER_SIZES } from "../src/mlp-graph.js";
import { groupUnits, recordJoin, recordSplit, unitShape } from "../src/units.js";

test("the MLP's W1 is a unit of its own and the five small tensors share one", () => {
  const shapes = mlpParamShapes(SEED_LAYER_SIZES);
  expect(groupUnits(shapes)).toEqual([[0], [1, 2, 3, 4, 5]]);
  expect(unitShape([0], shapes)).toEqual([784, 128]);
  expect(unitShape([1, 2, 3, 4, 5], shapes)).toEqual([128 + 8192 + 64 + 640 + 10]);
  expect(groupUnits([[3], [2, 2]])).toEqual([[0, 1]]);
  expect(groupUnits([[20_000], [30_000]])).toEqual([[0], [1]]);
});

test("joining a unit and splitting it again gives back every tensor in its shape", async () => {
  const shapes = [[2, 3], [4], [1, 2]];
  const graph = new GraphBuilder("join_split");
  const inputs = shapes.map((shape, i) => graph.input(`t${i}`, "float32", shape));
  const unit = [0, 1, 2];
  const joined = recordJoin(graph, unit, inputs, shapes);
  graph.output(graph.node("Identity", [joined], "float32"), [12], "joined");
  recordSplit(graph, unit, joined, shapes).forEach((part, i) => {
    graph.output(part, shapes[i] as number[], `back${i}`);
  });
  const session = await InferenceSession.create(graph.toBytes());
  const values = shapes.map((shape, i) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, k) => 10 * i + k),
  );
  const out = await session.run(
    Object.fromEntries(values.map((v, i) => [`t${i}`, new Tensor("float32", v, shapes[i])])),
  );
  expect(Array.from((out.joined as Tensor).data as Float32Array)).toEqual(
    values.flatMap((v) => Array.from(v)),
  );
  values.forEach((v, i) => {
    expect((out[`back${i}`] as Tensor).dims).toEqual(shapes[i]);
    expect((out[`back${i}`] as Tensor).data).toEqual(v);
  });
  await session.release();
});
