import {
  type A2SUpdateInput,
  type A2SUpdateOutput,
  type ArrayOps,
  a2sSchedule,
  a2sUpdate,
  resolveA2SOptions,
} from "@a2s/core";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Expr, TensorOps } from "../src/index.js";
import { useBackend } from "./backends.js";

beforeAll(() => useBackend("cpu"));

/** The naive reading of ArrayOps: every operation a kernel, nothing folded. */
const plainOps: ArrayOps<tf.Tensor> = {
  scalar: (value) => tf.scalar(value),
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  div: tf.div,
  sqrt: tf.sqrt,
  sumSquares: (a) => tf.sum(tf.square(a)),
};

const shapes = [[5, 3], [3], [1]];
const random = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed);

function inputs<T>(wrap: (t: tf.Tensor) => T, first: boolean): A2SUpdateInput<T>[] {
  return shapes.map((shape, i) => ({
    param: wrap(random(shape, 10 * i + 1)),
    grad: wrap(random(shape, 10 * i + 2)),
    slots: {
      m: wrap(random(shape, 10 * i + 3)),
      v: wrap(tf.abs(random(shape, 10 * i + 4))),
      buf: wrap(random(shape, 10 * i + 5)),
      prev: first ? undefined : wrap(random(shape, 10 * i + 6)),
    },
  }));
}

// t = 5 with switchIter 10: pure Adam; t = 15: blending; t = 40: pure SGD; t = 1: first step.
const phases = [
  ["pure Adam", 5],
  ["blend", 15],
  ["pure SGD", 40],
  ["first step", 1],
] as const;

describe("TensorOps (folded expressions) against the plain ops", () => {
  it.each(phases)("gives the same bits in the %s phase (curvatureK = 0)", async (_, t) => {
    const options = resolveA2SOptions({ switchIter: 10, blendIters: 20, curvatureK: 0 });
    const schedule = a2sSchedule(t, options);
    const ops = new TensorOps();
    const [expected, actual] = tf.tidy(() => {
      const plain = a2sUpdate(
        plainOps,
        options,
        schedule,
        inputs((x) => x, t === 1),
      );
      const folded = a2sUpdate(ops, options, schedule, inputs(Expr.of, t === 1));
      // Every output of every tensor, in one flat tensor: param, m, v, buf, prev.
      const flatten = (outs: tf.Tensor[][]) => tf.concat(outs.flat().map((x) => x.flatten()));
      const parts = <T>(o: A2SUpdateOutput<T>) => [o.param, o.slots.m, o.slots.v, o.slots.buf, o.slots.prev];
      return [
        flatten(plain.tensors.map(parts)),
        flatten(folded.tensors.map((o) => parts(o).map((x) => ops.evaluate(x)))),
      ];
    });
    expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
    tf.dispose([expected, actual]);
    ops.dispose();
  });

  it("computes the curvature as the plain ops do, to float32 rounding", async () => {
    const options = resolveA2SOptions({ curvatureK: 0.5 });
    const ops = new TensorOps();
    const [plain, folded] = tf.tidy(() => [
      a2sUpdate(
        plainOps,
        options,
        a2sSchedule(3, options),
        inputs((x) => x, false),
      ).curvature,
      ops.evaluate(a2sUpdate(ops, options, a2sSchedule(3, options), inputs(Expr.of, false)).curvature),
    ]);
    const [p, f] = [(await plain.data())[0] as number, (await folded.data())[0] as number];
    // squaredDifference rounds (g - prev)^2 once where sub + square round twice: the sums of
    // 19 such terms may differ in their last bits (float32 epsilon 1.2e-7), no more.
    expect(Math.abs(f - p) / p).toBeLessThan(1e-6);
    expect(p).toBeGreaterThan(1);
    tf.dispose([plain, folded]);
    ops.dispose();
  });

  it("runs fewer kernels when the blend weight is exactly 1 or 0 than while blending", async () => {
    const options = resolveA2SOptions({ switchIter: 10, blendIters: 20 });
    const ops = new TensorOps();
    const count = async (t: number) => {
      const profile = await tf.profile(() => {
        tf.tidy(() => {
          const result = a2sUpdate(ops, options, a2sSchedule(t, options), inputs(Expr.of, false));
          for (const o of result.tensors)
            for (const x of [o.param, o.slots.m, o.slots.v, o.slots.buf]) ops.evaluate(x);
        });
      });
      return profile.kernels.filter((k) => k.name !== "RandomNormal" && k.name !== "Abs").length;
    };
    const [adam, blend, sgd] = [await count(5), await count(15), await count(40)];
    // Per tensor: the blend multiplies by w and 1 - w and adds (3); pure Adam also skips the
    // SGD step (1), pure SGD the Adam step (6: two bias corrections, lr, sqrt, epsilon, div).
    // Once per step, the unused effective learning rate (lrSgd or lrAdam times the scale).
    expect(blend - adam).toBe(shapes.length * 4 + 1);
    expect(blend - sgd).toBe(shapes.length * 9 + 1);
    ops.dispose();
  });
});
