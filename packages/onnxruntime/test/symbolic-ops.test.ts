import onnxProto from "onnx-proto";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import { GraphBuilder, type Sym } from "../src/graph-builder.js";
import { SymbolicOps } from "../src/symbolic-ops.js";

const { onnx } = onnxProto;

/** The operator types of the nodes `outputs` need, in the recorded graph. */
function opsFor(graph: GraphBuilder, outputs: readonly string[]): string[] {
  const model = onnx.ModelProto.decode(graph.toBytes("", outputs));
  return (model.graph?.node ?? []).map((node) => node.opType as string);
}

function setup(dtype: "float32" | "float64" = "float32", pins: ReadonlyMap<string, number> = new Map()) {
  const graph = new GraphBuilder("ops");
  const ops = new SymbolicOps(graph, (name) => `step/${name}`, pins);
  const x = ops.declare(graph.input("x", dtype, [4]), [4]);
  const y = ops.declare(graph.input("y", dtype, [4]), [4]);
  return { graph, ops, x, y, one: ops.scalar(1, x), zero: ops.scalar(0, x) };
}

async function run(graph: GraphBuilder, outputs: Record<string, Sym>, feeds: Record<string, Float32Array>) {
  const names = Object.entries(outputs).map(([name, sym]) => graph.output(sym, [4], name));
  const session = await InferenceSession.create(graph.toBytes("", names));
  const out = await session.run(
    Object.fromEntries(
      Object.entries(feeds)
        .filter(([name]) => session.inputNames.includes(name))
        .map(([name, data]) => [name, new Tensor("float32", data, [data.length])]),
    ),
  );
  await session.release();
  return Object.fromEntries(
    names.map((name) => [name, Array.from((out[name] as Tensor).data as Float32Array)]),
  );
}

describe("exact identities add no node", () => {
  test("x * 1, 1 * x, x / 1, x + 0, 0 + x, x - 0 are x itself", () => {
    const { ops, x, one, zero } = setup();
    for (const value of [
      ops.mul(x, one),
      ops.mul(one, x),
      ops.div(x, one),
      ops.add(x, zero),
      ops.add(zero, x),
      ops.sub(x, zero),
    ]) {
      expect(value).toBe(x);
    }
    expect([...ops.nodeElements()]).toEqual([]);
  });

  test("a product with an exact 0 is 0, and adding it changes nothing: the other factor is never computed", async () => {
    const { graph, ops, x, y, zero } = setup();
    const unused = ops.sqrt(y);
    const product = ops.mul(zero, unused);
    expect(ops.constantOf(product)).toBe(0);
    expect(ops.logicalDimsOf(product)).toEqual([4]);
    const sum = ops.add(x, product);
    expect(sum).toBe(x);
    // As an output of its own, the zero becomes a tensor of the shape it stands for.
    const out = await run(
      graph,
      { zeros: ops.materialize(product), doubled: ops.add(x, x) },
      {
        x: Float32Array.of(1, 2, 3, 4),
      },
    );
    expect(out.zeros).toEqual([0, 0, 0, 0]);
    expect(out.doubled).toEqual([2, 4, 6, 8]);
    expect(opsFor(graph, ["zeros", "doubled"]).sort()).toEqual(["Add", "Expand"]);
  });

  test("constants fold to what the graph computes, in its element type", async () => {
    for (const dtype of ["float32", "float64"] as const) {
      const { ops, x } = setup(dtype);
      const a = ops.scalar(0.1, x);
      const b = ops.scalar(0.2, x);
      const round = dtype === "float32" ? Math.fround : (v: number) => v;
      expect(ops.constantOf(ops.add(a, b))).toBe(round(round(0.1) + round(0.2)));
      expect(ops.constantOf(ops.div(a, b))).toBe(round(round(0.1) / round(0.2)));
      expect(ops.constantOf(ops.sqrt(b))).toBe(round(Math.sqrt(round(0.2))));
      expect(ops.constantOf(ops.greater(b, a))).toBe(1);
      expect(ops.constantOf(ops.where(ops.greater(a, b), a, b))).toBe(round(0.2));
    }
    // The same sum computed by onnxruntime, bit for bit.
    const graph = new GraphBuilder("sum");
    const a = graph.input("a", "float32", []);
    const sum = graph.node("Add", [a, graph.constant(0.2, "float32")], "float32");
    const name = graph.output(sum, [], "sum");
    const session = await InferenceSession.create(graph.toBytes());
    const out = await session.run({ a: new Tensor("float32", Float32Array.of(0.1), []) });
    expect((out[name] as Tensor).data[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    await session.release();
  });

  test("a where on a known condition takes its branch, but a sum still sees the tensor a scalar stands for", async () => {
    const { graph, ops, x, one } = setup();
    const two = ops.scalar(2, x);
    expect(ops.where(one, x, two)).toBe(x);
    // A scalar 2 in place of a tensor of 2s: its sum over four elements is 8, not 2.
    const chosen = ops.where(one, two, x);
    const total = ops.sum(chosen);
    const broadcast = ops.add(chosen, ops.mul(x, ops.scalar(0, x)));
    const names = [graph.output(total, [], "total"), graph.output(ops.materialize(broadcast), [4], "twos")];
    const session = await InferenceSession.create(graph.toBytes("", names));
    const out = await session.run({ x: new Tensor("float32", Float32Array.of(5, 6, 7, 8), [4]) });
    expect((out.total as Tensor).data[0]).toBe(8);
    expect(Array.from((out.twos as Tensor).data as Float32Array)).toEqual([2, 2, 2, 2]);
    await session.release();
  });

  test("a pinned host value records as a constant, so what it multiplies by 0 drops out", async () => {
    const pins = new Map([
      ["w", 1],
      ["oneMinusW", 0],
    ]);
    const { graph, ops, x, y } = setup("float32", pins);
    const w = ops.stepScalar("w", 1, x);
    const oneMinusW = ops.stepScalar("oneMinusW", 0, x);
    const lr = ops.stepScalar("lr", 0.5, x);
    expect(ops.constantOf(w)).toBe(1);
    expect([...ops.pinnedInputs.keys()]).toEqual(["w", "oneMinusW"]);
    expect([...ops.stepInputs.keys()]).toEqual(["lr"]);
    const blended = ops.add(ops.mul(w, ops.mul(lr, x)), ops.mul(oneMinusW, ops.sqrt(y)));
    const out = await run(
      graph,
      { blended },
      { x: Float32Array.of(1, 2, 3, 4), y: Float32Array.of(1, 1, 1, 1), "step/lr": Float32Array.of(0.5) },
    );
    expect(opsFor(graph, ["blended"])).toEqual(["Mul"]);
    expect(out.blended).toEqual([0.5, 1, 1.5, 2]);
  });
});

describe("which operands carry a non-finite value into a result", () => {
  test("sums, products, numerators and square roots carry it; denominators, max and where do not", () => {
    const { ops, x, y } = setup();
    const carriers = (sym: Sym) => (ops.carriers.get(sym.name) ?? []).map((c) => c.name);
    expect(carriers(ops.add(x, y))).toEqual(["x", "y"]);
    expect(carriers(ops.mul(x, y))).toEqual(["x", "y"]);
    expect(carriers(ops.div(x, y))).toEqual(["x"]);
    expect(carriers(ops.sqrt(x))).toEqual(["x"]);
    expect(carriers(ops.sumSquares(x))).toEqual(["x"]);
    expect(carriers(ops.maximum(x, y))).toEqual([]);
    expect(carriers(ops.where(ops.greater(x, y), x, y))).toEqual([]);
  });

  test("an empty tensor carries nothing into a result that is empty too", () => {
    const graph = new GraphBuilder("empty");
    const ops = new SymbolicOps(graph, (name) => name);
    const empty = ops.declare(graph.input("e", "float32", [0]), [0]);
    const scale = ops.declare(graph.input("s", "float32", []), []);
    expect(ops.carriers.has(ops.mul(scale, empty).name)).toBe(false);
  });
});
