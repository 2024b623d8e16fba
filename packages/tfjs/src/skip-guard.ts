/**
 * `nonFinite: "skip"`: the step's new values, each replaced on the device by the value
 * before the step unless every gradient and every result of the step is finite.
 */
import type { PreparedStep, StepOutcome } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import { Expr } from "./expr.js";
import { allFinite } from "./non-finite.js";
import type { TensorOps } from "./tensor-ops.js";

/**
 * The outcome to commit instead of `outcome`: new parameters and state where the step is
 * finite, the old ones where it is not, and `skipped` counts the discarded step.
 */
export function guardedOutcome(
  ops: TensorOps,
  prepared: PreparedStep<Expr>,
  outcome: StepOutcome<Expr>,
  skipped: tf.Variable,
): StepOutcome<Expr> {
  const params = outcome.params ?? [];
  const slots = outcome.slots ?? [];
  const scalars = outcome.scalars ?? {};
  const ok = allFinite(ops, [
    ...prepared.inputs.map((input) => input.grad),
    ...params,
    ...slots.flatMap((own) => Object.values(own)),
    ...Object.values(scalars),
  ]);
  // One condition per shape, made once: tf.where would broadcast a scalar one per call.
  const conditions = new Map<string, tf.Tensor>();
  const keep = (next: Expr, old: Expr, shape: readonly number[]): Expr => {
    if (next === old) return old;
    const key = shape.join(",");
    let condition = conditions.get(key);
    if (condition === undefined) {
      condition = tf.broadcastTo(ok, [...shape]);
      conditions.set(key, condition);
    }
    return Expr.tensor(tf.where(condition, ops.evaluate(next), ops.evaluate(old)));
  };
  const guarded: StepOutcome<Expr> = {
    published: outcome.published,
    ...(outcome.exact === undefined ? {} : { exact: outcome.exact }),
    params: params.map((next, i) => {
      const input = prepared.inputs[i];
      return input === undefined ? next : keep(next, input.param, input.shape);
    }),
    slots: slots.map((own, i) =>
      Object.fromEntries(
        Object.entries(own).map(([slot, next]) => {
          const old = prepared.state.slots[i]?.[slot] as Expr;
          return [slot, keep(next, old, old.cell?.shape ?? [])];
        }),
      ),
    ),
    scalars: Object.fromEntries(
      Object.entries(scalars).map(([name, next]) => [
        name,
        keep(next, prepared.state.scalars[name] as Expr, []),
      ]),
    ),
  };
  skipped.assign(tf.add(skipped, tf.cast(tf.logicalNot(ok), "int32")));
  return guarded;
}
