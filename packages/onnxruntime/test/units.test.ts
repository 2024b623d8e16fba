import { InferenceSession, Tensor } from "onnxruntime-node";
import { expect, test } from "vitest";
import { GraphBuilder } from "../src/graph-builder.js";
import { mlpParamShapes, SEED_LAYER_SIZES } from "../src/mlp-graph.js";
import { groupUnits, recordJoin, unitShape } from "../src/units.js";

test("the MLP's six tensors share one unit; tensors from 262,144 elements have their own", () => {
  const shapes = mlpParamShapes(SEED_LAYER_SIZES);
  expect(groupUnits(shapes)).toEqual([[0, 1, 2, 3, 4, 5]]);
  expect(unitShape([0, 1, 2, 3, 4, 5], shapes)).toEqual([109_386]);
  expect(unitShape([0], shapes)).toEqual([784, 128]);
  expect(groupUnits([[3], [2, 2]])).toEqual([[0, 1]]);
  expect(groupUnits([[262_144], [512, 1024]])).toEqual([[0], [1]]);
  expect(groupUnits([[262_143], [30_000]])).toEqual([[0, 1]]);
  // Small tensors of different parameter groups never share a unit.
  expect(groupUnits([[3], [300_000], [4], [5]], [0, 0, 1, 0])).toEqual([[1], [0, 3], [2]]);
});

test("joining a unit concatenates its tensors flat, in unit order", async () => {
  const shapes = [[2, 3], [4], [1, 2]];
  const graph = new GraphBuilder("join");
  const inputs = shapes.map((shape, i) => graph.input(`t${i}`, "float32", shape));
  const joined = recordJoin(graph, [2, 0, 1], inputs, shapes);
  graph.output(joined, [12], "joined");
  const session = await InferenceSession.create(graph.toBytes());
  const values = shapes.map((shape, i) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, k) => 10 * i + k),
  );
  const out = await session.run(
    Object.fromEntries(values.map((v, i) => [`t${i}`, new Tensor("float32", v, shapes[i])])),
  );
  expect(Array.from((out.joined as Tensor).data as Float32Array)).toEqual(
    [values[2], values[0], values[1]].flatMap((v) => Array.from(v as Float32Array)),
  );
  expect(recordJoin(graph, [1], inputs, shapes)).toBe(inputs[1]);
  await session.release();
});
