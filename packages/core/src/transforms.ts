/**
 * The transforms A2S and its baselines are made of. Each reads its options by name
 * (per tensor for group options), so one transform serves every algorithm that has
 * those options: Adam's moments are the same code in A2S and in Adam.
 */
import { InvalidCallError, InvalidOptionError } from "./errors.js";
import {
  type OptionRule,
  type OptionSet,
  type OptionValue,
  optionFor,
  RULE_REQUIREMENTS,
  satisfies,
} from "./option-values.js";
import { evaluateSchedule, linearSchedule } from "./schedules.js";
import type { StepIO, Transform } from "./transform.js";

/** Where an option lives, for error messages: `lrAdam` or `groups[0].lrAdam`. */
function optionPath(io: StepIO<unknown>, name: string, tensor: number | undefined): string {
  const group = tensor === undefined ? 0 : (io.tensors[tensor]?.group ?? 0);
  return group === 0 ? name : `groups[${group - 1}].${name}`;
}

function numberOption(io: StepIO<unknown>, name: string, tensor?: number): number {
  const value = io.option(name, tensor);
  if (typeof value !== "number") {
    throw new InvalidCallError("transform", `option ${optionPath(io, name, tensor)} is not a number here`);
  }
  return value;
}

/**
 * The value of a number-or-schedule option at step `t`, checked against `rule`: a
 * schedule that leaves its range is refused at the step where it does, before any change.
 */
export function valueAt(path: string, value: OptionValue | undefined, t: number, rule: OptionRule): number {
  if (typeof value === "number") return value;
  if (value === undefined || value === "auto") {
    throw new InvalidCallError("transform", `option ${path} has no value to evaluate`);
  }
  const result = evaluateSchedule(value, t);
  if (typeof result !== "number" || !satisfies(result, rule)) {
    throw new InvalidOptionError(
      path,
      result,
      `${RULE_REQUIREMENTS[rule]} at every step (its schedule gives this at step ${t})`,
    );
  }
  return result;
}

/**
 * The value at step `t` of option `name` (a number or a schedule) for tensors of group
 * `group` (0: top level), checked against `rule`. For fused kernels, which compute the
 * step's host values themselves.
 */
export function optionValueAt(
  set: OptionSet,
  name: string,
  group: number,
  t: number,
  rule: OptionRule,
): number {
  const path = group === 0 ? name : `groups[${group - 1}].${name}`;
  return valueAt(path, optionFor(set, name, group), t, rule);
}

/** The blend weight of step `t`: option `blend`, else the seed's ramp from `switchIter` and `blendIters`. */
export function blendWeightAt(set: OptionSet, t: number): number {
  return valueAt(
    "blend",
    blendSchedule((name) => set.values[name]),
    t,
    "fraction",
  );
}

/** Option `blend`, or the seed's ramp: a linear schedule from 1 to 0 starting after `switchIter`. */
function blendSchedule(option: (name: string) => OptionValue | undefined): OptionValue {
  return (
    option("blend") ??
    linearSchedule({
      initValue: 1,
      endValue: 0,
      transitionSteps: option("blendIters") as number,
      transitionBegin: option("switchIter") as number,
    })
  );
}

/**
 * Global-norm clipping (option `clipNorm`, `Infinity` for off): when the L2 norm `n` of
 * all updates together exceeds `clipNorm`, every update is multiplied by `clipNorm / n`.
 * Written `clipNorm / max(n, clipNorm)`, which is exactly 1 when nothing is clipped.
 * Publishes `clipFactor` and, when on, `gradientNorm`.
 */
export function clipByGlobalNorm(): Transform {
  return {
    name: "clipByGlobalNorm",
    update(io, updates) {
      const { ops } = io;
      const clipNorm = numberOption(io, "clipNorm");
      if (clipNorm === Number.POSITIVE_INFINITY) {
        io.publish("clipFactor", io.constant(1));
        return { updates };
      }
      const [sumSquares] = io.reduce([updates.map((u) => ops.sumSquares(u))]);
      const norm = ops.sqrt(sumSquares as (typeof updates)[number]);
      const limit = io.constant(clipNorm);
      const factor = ops.div(limit, ops.maximum(norm, limit));
      io.publish("gradientNorm", norm);
      io.publish("clipFactor", factor);
      return { updates: updates.map((u) => ops.mul(u, factor)) };
    },
  };
}

/**
 * The seed's curvature scale (option `curvatureK`): `curvature` is the L2 norm of the
 * difference between these updates and the previous step's, over all tensors together
 * (0 on the first step, which has no previous one), and `lrScale = 1/(1 + k·curvature)`.
 * Passes the updates on unchanged and publishes both; {@link scaleByLearningRate}
 * applies `lrScale`. Keeps the updates as slot `prev`.
 */
export function scaleByCurvature(): Transform {
  return {
    name: "scaleByCurvature",
    slots: { prev: "real" },
    update(io, updates, state) {
      const { ops } = io;
      const k = numberOption(io, "curvatureK");
      const partials = updates.map((u, i) => ops.sumSquares(ops.sub(u, state.slots[i]?.prev as typeof u)));
      const [sumSquares] = io.reduce([partials]);
      const firstStep = io.host("firstStep", undefined, (t) => (t === 1 ? 1 : 0));
      const curvature = ops.where(
        firstStep,
        io.constant(0),
        ops.sqrt(sumSquares as (typeof updates)[number]),
      );
      const one = io.constant(1);
      // With k = 0 the scale is exactly 1, also when the curvature overflowed (Infinity·0).
      const lrScale = k === 0 ? one : ops.div(one, ops.add(one, ops.mul(io.constant(k), curvature)));
      io.publish("curvature", curvature);
      io.publish("lrScale", lrScale);
      return { updates, slots: updates.map((u) => ({ prev: u })) };
    },
  };
}

/** How a transform that applies a learning rate itself names it. */
export interface RateOption {
  /**
   * The learning-rate option (a number or a schedule) this transform multiplies in
   * itself, times `lrScale` when a transform before it published one, so that the
   * arithmetic follows the seed's order (`lr·m̂ / (√v̂ + ε)`). Without it the transform
   * gives a direction, for a {@link scaleByLearningRate} after it (optax's order).
   */
  readonly rate?: string;
}

/**
 * The effective learning rate of option `option` for a tensor: its value at this step
 * (per group), times `lrScale` when one was published. Publishes the top-level rate
 * under the option's name.
 */
function effectiveRate<T>(io: StepIO<T>, option: string): (tensor: number) => T {
  const { ops } = io;
  const scale = io.value("lrScale");
  const byGroup = new Map<number, T>();
  const rate = (tensor: number | undefined) => {
    const group = tensor === undefined ? 0 : (io.tensors[tensor]?.group ?? 0);
    let value = byGroup.get(group);
    if (value === undefined) {
      const path = optionPath(io, option, tensor);
      const given = io.option(option, tensor);
      const lr =
        given === "auto"
          ? autoRate(io, option)
          : io.host(option, tensor, (t) => valueAt(path, given, t, "nonNegative"));
      value = scale === undefined ? lr : ops.mul(lr, scale);
      byGroup.set(group, value);
    }
    return value;
  };
  io.publish(option, rate(undefined));
  return rate;
}

/** A rate set to `"auto"`: the value a transform before it published under `<option>.auto`. */
function autoRate<T>(io: StepIO<T>, option: string): T {
  const value = io.value(`${option}.auto`);
  if (value === undefined) {
    throw new InvalidCallError(
      "transform",
      `option ${option} is "auto" but no transform before it estimates it`,
    );
  }
  return value;
}

/**
 * Adam (options `beta1`, `beta2`, `epsilon`): the moments `m`, `v` and `m̂ / (√v̂ + ε)`
 * with the bias corrections `1 − β^t` of step `t` (from 1); with `rate`,
 * `lr·m̂ / (√v̂ + ε)`.
 */
export function scaleByAdam(options: RateOption = {}): Transform {
  return {
    name: "scaleByAdam",
    slots: { m: "real", v: "nonNegative" },
    update(io, updates, state) {
      const { ops } = io;
      const rate = options.rate === undefined ? undefined : effectiveRate(io, options.rate);
      const slots = updates.map((u, i) => {
        const beta1 = numberOption(io, "beta1", i);
        const beta2 = numberOption(io, "beta2", i);
        const own = state.slots[i] as Record<string, typeof u>;
        const m = ops.add(ops.mul(io.constant(beta1), own.m as typeof u), ops.mul(io.constant(1 - beta1), u));
        const v = ops.add(
          ops.mul(io.constant(beta2), own.v as typeof u),
          ops.mul(io.constant(1 - beta2), ops.mul(u, u)),
        );
        return { m, v };
      });
      const steps = slots.map(({ m, v }, i) => {
        const beta1 = numberOption(io, "beta1", i);
        const beta2 = numberOption(io, "beta2", i);
        const mHat = ops.div(
          m,
          io.host("biasCorrection1", i, (t) => 1 - beta1 ** t),
        );
        const vHat = ops.div(
          v,
          io.host("biasCorrection2", i, (t) => 1 - beta2 ** t),
        );
        const numerator = rate === undefined ? mHat : ops.mul(rate(i), mHat);
        return ops.div(numerator, ops.add(ops.sqrt(vHat), io.constant(numberOption(io, "epsilon", i))));
      });
      return { updates: steps, slots };
    },
  };
}

/** The momentum buffer in the seed's form (option `momentum`): `buf = momentum·buf + u`. */
export function trace(): Transform {
  return {
    name: "trace",
    slots: { buf: "real" },
    update(io, updates, state) {
      const { ops } = io;
      const bufs = updates.map((u, i) =>
        ops.add(ops.mul(io.constant(numberOption(io, "momentum", i)), state.slots[i]?.buf as typeof u), u),
      );
      return { updates: bufs, slots: bufs.map((buf) => ({ buf })) };
    },
  };
}

/**
 * RMSProp (options `decay`, `epsilon`): `v = d·v + (1 − d)·u²`, `u / (√v + ε)`; with
 * `rate`, `lr·u / (√v + ε)`.
 */
export function scaleByRms(options: RateOption = {}): Transform {
  return {
    name: "scaleByRms",
    slots: { v: "nonNegative" },
    update(io, updates, state) {
      const { ops } = io;
      const rate = options.rate === undefined ? undefined : effectiveRate(io, options.rate);
      const vs = updates.map((u, i) => {
        const decay = numberOption(io, "decay", i);
        return ops.add(
          ops.mul(io.constant(decay), state.slots[i]?.v as typeof u),
          ops.mul(io.constant(1 - decay), ops.mul(u, u)),
        );
      });
      const steps = updates.map((u, i) => {
        const numerator = rate === undefined ? u : ops.mul(rate(i), u);
        return ops.div(
          numerator,
          ops.add(ops.sqrt(vs[i] as typeof u), io.constant(numberOption(io, "epsilon", i))),
        );
      });
      return { updates: steps, slots: vs.map((v) => ({ v })) };
    },
  };
}

/**
 * Decoupled weight decay (option `weightDecay`): `u + weightDecay·p`, with `p` the
 * parameter before the step, so that the rate applied after it multiplies both (AdamW's
 * form). With `rate`, for a branch whose rate is already applied: `u + lr·(weightDecay·p)`.
 */
export function addDecayedWeights(options: RateOption = {}): Transform {
  return {
    name: "addDecayedWeights",
    update(io, updates) {
      const { ops } = io;
      const decays = updates.map((_, i) => numberOption(io, "weightDecay", i));
      if (decays.every((decay) => decay === 0)) return { updates };
      const rate = options.rate === undefined ? undefined : effectiveRate(io, options.rate);
      return {
        updates: updates.map((u, i) => {
          const decay = decays[i] as number;
          if (decay === 0) return u;
          const decayed = ops.mul(io.constant(decay), io.params[i] as typeof u);
          return ops.add(u, rate === undefined ? decayed : ops.mul(rate(i), decayed));
        }),
      };
    },
  };
}

/**
 * The automatic switch (option `switchIter: "auto"`): A2S decides from data when to leave
 * Adam. In the Adam phase it estimates, as SWATS does, the SGD learning rate whose step
 * projected on Adam's step `p` equals `p`: `γ = p·p / (−p·g)` over all tensors together,
 * with `p` Adam's step before the curvature scale. It keeps a bias-corrected moving
 * average `Λ` of `γ` (decay `beta2`), and every `switchWindow` steps compares `Λ` with
 * its value one window earlier: once `t ≥ switchMinSteps` and the two agree within the
 * relative tolerance `switchTolerance`, the estimate has settled and the switch fires at
 * this step `k`. From then on `w` follows the fixed ramp from `switchIter = k` over
 * `blendIters`, and with `lrSgd: "auto"` the SGD rate is `Λ·(1 − momentum)`: SWATS's SGD
 * takes `(1 − β1)·Λ·v` with `v = β1·v + g`, A2S's takes `lrSgd·buf` with
 * `buf = momentum·buf + g`, and both reach the step `Λ·g` for a steady gradient, which
 * gives `lrSgd = (1 − momentum)·Λ` (SWATS's own form when `momentum = β1`).
 *
 * Everything is computed with the backend's ops (on the device, in the graph: no
 * read-back); the decision and the estimate are per-optimizer scalars, so checkpoints
 * carry them and a resumed run switches at the same step. Publishes `w`, `oneMinusW`,
 * `switchedAt` (0 until it fires), `sgdEstimate` (the frozen `Λ`, 0 until it fires),
 * `gamma` and `gammaAverage` (this step's `γ` and `Λ`).
 */
export function autoSwitchBlend(adamBranch: Transform, sgdBranch: Transform): Transform {
  return {
    name: `autoSwitchBlend(${adamBranch.name}, ${sgdBranch.name})`,
    children: [adamBranch, sgdBranch],
    scalars: {
      switchedAt: { initial: 0, rule: "count" },
      gammaEma: { initial: 0, rule: "real" },
      gammaReference: { initial: 0, rule: "real" },
      sgdEstimate: { initial: 0, rule: "nonNegative" },
    },
    update(io, updates, state) {
      const { ops } = io;
      const scalar = (name: string) => state.scalars[name] as (typeof updates)[number];
      const zero = io.constant(0);
      const one = io.constant(1);
      const t = io.host("t", undefined, (step) => step);
      const switchedAt = scalar("switchedAt");
      const switched = ops.greater(switchedAt, zero);
      const blendIters = numberOption(io, "blendIters");
      // The fixed ramp, started at switchedAt: 1 through k, 0 from k + blendIters.
      const ramp =
        blendIters === 0
          ? ops.where(ops.greater(t, switchedAt), zero, one)
          : ops.maximum(
              zero,
              ops.minimum(one, ops.sub(one, ops.div(ops.sub(t, switchedAt), io.constant(blendIters)))),
            );
      const w = ops.where(switched, ramp, one);
      io.publish("w", w);
      io.publish("oneMinusW", ops.sub(one, w));
      if (io.option("lrSgd") === "auto") {
        io.publish(
          "lrSgd.auto",
          ops.mul(scalar("sgdEstimate"), io.constant(1 - numberOption(io, "momentum"))),
        );
      }

      const adam = adamBranch.update(io.scope("0."), updates, state);
      const sgd = sgdBranch.update(io.scope("1."), updates, state);
      const oneMinusW = io.value("oneMinusW") as typeof w;
      const blended = adam.updates.map((a, i) =>
        ops.add(ops.mul(w, a), ops.mul(oneMinusW, sgd.updates[i] as typeof a)),
      );

      // SWATS's estimate from this step's Adam step (p = −a) and gradient.
      const [pp, pg] = io.reduce([
        adam.updates.map((a) => ops.sumSquares(a)),
        adam.updates.map((a, i) => ops.sum(ops.mul(a, updates[i] as typeof a))),
      ]) as [typeof w, typeof w];
      const lrScale = io.value("lrScale") ?? one;
      const aligned = ops.greater(pg, zero);
      // Where p·g ≤ 0 the estimate is undefined: the average keeps its value (the ratio,
      // then unused, may be non-finite; where() does not pass it on).
      const gamma = ops.div(pp, ops.mul(pg, lrScale));
      const beta = numberOption(io, "beta2");
      const gammaEma = ops.where(
        aligned,
        ops.add(ops.mul(io.constant(beta), scalar("gammaEma")), ops.mul(io.constant(1 - beta), gamma)),
        scalar("gammaEma"),
      );
      const average = ops.div(
        gammaEma,
        io.host("gammaBiasCorrection", undefined, (step) => 1 - beta ** step),
      );

      const window = numberOption(io, "switchWindow");
      const minSteps = numberOption(io, "switchMinSteps");
      const tolerance = numberOption(io, "switchTolerance");
      const check = io.host("switchCheck", undefined, (step) => (step % window === 0 ? 1 : 0));
      const allowed = io.host("switchAllowed", undefined, (step) => (step >= minSteps ? 1 : 0));
      const reference = scalar("gammaReference");
      const difference = ops.sub(average, reference);
      const margin = ops.mul(io.constant(tolerance), average);
      const settled = ops.mul(
        ops.greater(ops.mul(margin, margin), ops.mul(difference, difference)),
        ops.mul(ops.greater(reference, zero), ops.greater(average, zero)),
      );
      const fire = ops.mul(ops.mul(ops.mul(check, allowed), settled), ops.sub(one, switched));
      const nextSwitchedAt = ops.where(fire, t, switchedAt);
      const sgdEstimate = ops.where(fire, average, scalar("sgdEstimate"));
      io.publish("switchedAt", nextSwitchedAt);
      io.publish("sgdEstimate", sgdEstimate);
      io.publish("gamma", ops.where(aligned, gamma, zero));
      io.publish("gammaAverage", average);

      const slots = io.tensors.map((_, i) => ({ ...adam.slots?.[i], ...sgd.slots?.[i] }));
      return {
        updates: blended,
        slots,
        scalars: {
          ...adam.scalars,
          ...sgd.scalars,
          switchedAt: nextSwitchedAt,
          gammaEma,
          gammaReference: ops.where(check, average, reference),
          sgdEstimate,
        },
      };
    },
  };
}

/**
 * A2S's decoupled weight decay, after the blend (option `weightDecay`):
 * `u + weightDecay·(w·lrAdamEff + (1 − w)·lrSgdEff)·p`, with `p` the parameter before the
 * step and the rates this step's scheduled, curvature-scaled ones (AdamW's form on the
 * blended rate). Kept out of the branches so that the Adam branch's step is Adam's alone.
 */
export function addBlendedWeightDecay(): Transform {
  return {
    name: "addBlendedWeightDecay",
    update(io, updates) {
      const { ops } = io;
      const decays = updates.map((_, i) => numberOption(io, "weightDecay", i));
      if (decays.every((decay) => decay === 0)) return { updates };
      const w = io.value("w");
      const oneMinusW = io.value("oneMinusW");
      if (w === undefined || oneMinusW === undefined) {
        throw new InvalidCallError("addBlendedWeightDecay", "no blend weight w was published before it");
      }
      const lrAdam = effectiveRate(io, "lrAdam");
      const lrSgd = effectiveRate(io, "lrSgd");
      return {
        updates: updates.map((u, i) => {
          const decay = decays[i] as number;
          if (decay === 0) return u;
          const rate = ops.add(ops.mul(w, lrAdam(i)), ops.mul(oneMinusW, lrSgd(i)));
          return ops.add(u, ops.mul(ops.mul(io.constant(decay), rate), io.params[i] as typeof u));
        }),
      };
    },
  };
}

/**
 * Multiplies the updates by the learning rate of option `option` (a number or a
 * schedule, per group) at this step, times `lrScale` when a transform before it
 * published one. Publishes the top-level effective rate under the option's name.
 */
export function scaleByLearningRate(option: string): Transform {
  return {
    name: `scaleByLearningRate(${option})`,
    update(io, updates) {
      const rate = effectiveRate(io, option);
      return { updates: updates.map((u, i) => io.ops.mul(rate(i), u)) };
    },
  };
}

/**
 * A2S's blend weight `w(t)`: the schedule of option `blend` when given, else the seed's
 * ramp (1 through `switchIter`, 0 from `switchIter + blendIters`, linear between), which
 * is `linearSchedule({ initValue: 1, endValue: 0, transitionSteps: blendIters,
 * transitionBegin: switchIter })`. Publishes `w` and `oneMinusW`, both from the host.
 */
export function blendWeight(): Transform {
  return {
    name: "blendWeight",
    update(io, updates) {
      const ramp = blendSchedule((name) => io.option(name));
      const w = (t: number) => valueAt("blend", ramp, t, "fraction");
      io.publish("w", io.host("w", undefined, w));
      io.publish(
        "oneMinusW",
        io.host("oneMinusW", undefined, (t) => 1 - w(t)),
      );
      return { updates };
    },
  };
}
