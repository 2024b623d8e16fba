/**
 * An algorithm defined outside `@a2s/core`, from a transform written here: the proof
 * that the engine carries every adapter. It uses every kind of state and every service
 * the engine offers (a per-tensor slot, a per-optimizer scalar, a host value, a global
 * reduction, a comparison and a selection on the device, a published value, a group
 * option), so an adapter that runs it with no code of its own for it runs any algorithm.
 */
import { chain, defineAlgorithm, scaleByLearningRate, type Transform } from "@a2s/core";
import type { ExpectedDiagnostics, Oracle, Vectors } from "./oracle.js";

/**
 * `velocity = beta·velocity + u`; the update is `velocity · decay(t) / (‖velocity‖ + 1)`,
 * halved once more than `halveAfter` steps were taken (a counter kept as scalar state).
 */
const normalizedMomentum: Transform = {
  name: "normalizedMomentum",
  slots: { velocity: "real" },
  scalars: { steps: { initial: 0, rule: "count" } },
  update(io, updates, state) {
    const { ops } = io;
    const velocity = updates.map((u, i) =>
      ops.add(ops.mul(io.constant(io.option("beta", i) as number), state.slots[i]?.velocity as typeof u), u),
    );
    const [sumSquares] = io.reduce([velocity.map((v) => ops.sumSquares(v))]);
    const norm = ops.sqrt(sumSquares as (typeof updates)[number]);
    const decay = io.host("decay", undefined, (t) => 1 / (1 + 0.1 * t));
    const steps = ops.add(state.scalars.steps as (typeof updates)[number], io.constant(1));
    const halveAfter = io.constant(io.option("halveAfter") as number);
    const factor = ops.where(ops.greater(steps, halveAfter), io.constant(0.5), io.constant(1));
    const scale = ops.mul(ops.div(decay, ops.add(norm, io.constant(1))), factor);
    io.publish("velocityNorm", norm);
    io.publish("steps", steps);
    return {
      updates: velocity.map((v) => ops.mul(scale, v)),
      slots: velocity.map((v) => ({ velocity: v })),
      scalars: { steps },
    };
  },
};

/** The algorithm, as a user would define one. */
export const outsideAlgorithm = defineAlgorithm({
  name: "NormalizedMomentum",
  options: {
    learningRate: { default: 0.05, rule: "nonNegative", scope: "group", schedulable: true },
    beta: { default: 0.8, rule: "unitInterval", scope: "group" },
    halveAfter: { default: 3, rule: "count", scope: "global" },
  },
  build: () => chain(normalizedMomentum, scaleByLearningRate("learningRate")),
});

/** The same algorithm as plain float64 loops, for the math tier. */
export class OutsideOracle implements Oracle {
  t = 0;
  velocity: Vectors = {};
  constructor(
    readonly o: {
      learningRate: number;
      beta: number;
      halveAfter: number;
      betaOf?: (tensor: string) => number;
    },
  ) {}

  step(params: Vectors, grads: Vectors): ExpectedDiagnostics {
    this.t += 1;
    let total = 0;
    for (const [name, g] of Object.entries(grads)) {
      const beta = this.o.betaOf?.(name) ?? this.o.beta;
      this.velocity[name] ??= new Array<number>(g.length).fill(0);
      const v = this.velocity[name];
      for (let i = 0; i < g.length; i++) {
        v[i] = beta * (v[i] as number) + (g[i] as number);
        total += (v[i] as number) ** 2;
      }
    }
    const norm = Math.sqrt(total);
    const factor = this.t > this.o.halveAfter ? 0.5 : 1;
    const scale = (1 / (1 + 0.1 * this.t) / (norm + 1)) * factor;
    for (const [name, p] of Object.entries(params)) {
      const v = this.velocity[name] as number[];
      for (let i = 0; i < p.length; i++)
        p[i] = (p[i] as number) - this.o.learningRate * scale * (v[i] as number);
    }
    return { t: this.t, velocityNorm: norm, steps: this.t, learningRate: this.o.learningRate };
  }
}
