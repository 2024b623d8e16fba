/**
 * The float64 oracle: A2S and its baselines as plain loops over `number[]`, written from
 * the spec's formulas and the feature semantics as the issues state them, and nothing
 * else. It must stay independent of `@a2s/core` (no import of its transforms, schedules
 * or defaults), so that the suite checks core too.
 */

export type Vectors = Record<string, number[]>;

/** A schedule as data, evaluated here from optax's formulas at count = t (from 1). */
export type OracleSchedule = { type: string } & Record<string, unknown>;
export type OracleRate = number | OracleSchedule | ((t: number) => number);

/** The oracle's view of one step's expected diagnostics. */
export type ExpectedDiagnostics = Record<string, number>;

/** One reference optimizer: updates `params` in place, returns the diagnostics it expects. */
export interface Oracle {
  step(params: Vectors, grads: Vectors): ExpectedDiagnostics;
}

const num = (s: OracleSchedule, key: string, fallback?: number): number => {
  const value = s[key] ?? fallback;
  if (typeof value !== "number") throw new Error(`oracle: schedule ${s.type} lacks ${key}`);
  return value;
};

/** optax's schedules, written again: linear, cosine decay, exponential decay, warmup cosine, join. */
export function oracleSchedule(rate: OracleRate, t: number): number {
  if (typeof rate === "number") return rate;
  if (typeof rate === "function") return rate(t);
  switch (rate.type) {
    case "constant":
      return num(rate, "value");
    case "linear": {
      const init = num(rate, "initValue");
      const end = num(rate, "endValue");
      const steps = num(rate, "transitionSteps");
      const begin = num(rate, "transitionBegin", 0);
      // Zero steps: the limit of the ramp, a step after `begin` (the seed's blendIters 0).
      if (steps === 0) return t <= begin ? init : end;
      const frac = Math.min(1, Math.max(0, (t - begin) / steps));
      return init + (end - init) * frac;
    }
    case "cosineDecay": {
      const init = num(rate, "initValue");
      const decaySteps = num(rate, "decaySteps");
      const alpha = num(rate, "alpha", 0);
      const count = Math.min(t, decaySteps);
      return init * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * count) / decaySteps)) + alpha);
    }
    case "exponentialDecay": {
      const init = num(rate, "initValue");
      const c = t - num(rate, "transitionBegin", 0);
      if (c <= 0) return init;
      let p = c / num(rate, "transitionSteps");
      if (rate.staircase === true) p = Math.floor(p);
      const decayRate = num(rate, "decayRate");
      const value = init * decayRate ** p;
      const end = rate.endValue;
      if (typeof end !== "number") return value;
      return decayRate < 1 ? Math.max(value, end) : Math.min(value, end);
    }
    case "warmupCosineDecay": {
      const init = num(rate, "initValue");
      const peak = num(rate, "peakValue");
      const warmup = num(rate, "warmupSteps");
      const decaySteps = num(rate, "decaySteps");
      const end = num(rate, "endValue", 0);
      if (t < warmup) return init + (peak - init) * Math.min(1, Math.max(0, t / warmup));
      const alpha = peak === 0 ? 0 : end / peak;
      return oracleSchedule(
        { type: "cosineDecay", initValue: peak, decaySteps: decaySteps - warmup, alpha },
        t - warmup,
      );
    }
    case "join": {
      const schedules = rate.schedules as OracleSchedule[];
      const boundaries = rate.boundaries as number[];
      let value = oracleSchedule(schedules[0] as OracleSchedule, t);
      boundaries.forEach((b, i) => {
        if (t >= b) value = oracleSchedule(schedules[i + 1] as OracleSchedule, t - b);
      });
      return value;
    }
    default:
      throw new Error(`oracle: unknown schedule ${rate.type}`);
  }
}

/** The seed's blend weight: 1 through `switchIter`, 0 from `switchIter + blendIters`, linear between. */
export function oracleBlendWeight(t: number, switchIter: number, blendIters: number): number {
  if (t <= switchIter) return 1;
  if (t >= switchIter + blendIters) return 0;
  return 1 - (t - switchIter) / blendIters;
}

/** A parameter group as the oracle reads it. */
export interface OracleGroup {
  tensors: readonly string[] | RegExp;
  [option: string]: unknown;
}

/** Options of `name` for the tensor `tensor`: the first group that takes it overrides the top level. */
function optionsFor<O extends object>(top: O, groups: readonly OracleGroup[] | undefined, tensor: string): O {
  const group = groups?.find((g) =>
    g.tensors instanceof RegExp
      ? new RegExp(g.tensors.source, g.tensors.flags).test(tensor)
      : g.tensors.includes(tensor),
  );
  if (group === undefined) return top;
  const { tensors: _, ...overrides } = group;
  return { ...top, ...overrides };
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);
const copy = (v: Vectors): Vectors => Object.fromEntries(Object.entries(v).map(([k, g]) => [k, [...g]]));

/**
 * Global-norm clipping as the issue states it: if the L2 norm `n` of all raw gradients
 * exceeds `clipNorm`, each is multiplied by `clipNorm / n`. Returns the clipped copies
 * and the factor (1 when untouched).
 */
function clip(grads: Vectors, clipNorm: number): { grads: Vectors; factor: number } {
  if (!Number.isFinite(clipNorm)) return { grads, factor: 1 };
  let total = 0;
  for (const g of Object.values(grads)) for (const x of g) total += x * x;
  const n = Math.sqrt(total);
  if (!(n > clipNorm)) return { grads, factor: 1 };
  const factor = clipNorm / n;
  return {
    grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.map((x) => x * factor)])),
    factor,
  };
}

/** The seed's A2S defaults, restated here on purpose, and the additions off. */
export const ORACLE_A2S_DEFAULTS = {
  lrAdam: 0.001 as OracleRate,
  lrSgd: 0.01 as OracleRate | "auto",
  beta1: 0.9,
  beta2: 0.999,
  momentum: 0.9,
  curvatureK: 0.05,
  switchIter: 1500 as number | "auto",
  blendIters: 3000,
  switchMinSteps: 1000,
  switchWindow: 500,
  switchTolerance: 0.25,
  epsilon: 1e-8,
  weightDecay: 0,
  clipNorm: Number.POSITIVE_INFINITY,
  blend: undefined as OracleRate | undefined,
  groups: undefined as readonly OracleGroup[] | undefined,
};
export type OracleA2SOptions = typeof ORACLE_A2S_DEFAULTS;

/** A2S in float64, one loop per tensor, as the seed's update reads, plus the features. */
export class OracleA2S implements Oracle {
  readonly o: OracleA2SOptions;
  t = 0;
  m: Vectors = {};
  v: Vectors = {};
  buf: Vectors = {};
  prev: Vectors | undefined;
  /** The automatic switch's state: the step it fired at (0: not yet), the average of γ and its last snapshot, the frozen estimate. */
  auto = { switchedAt: 0, gammaEma: 0, gammaReference: 0, sgdEstimate: 0 };

  constructor(options: Partial<OracleA2SOptions> = {}) {
    this.o = { ...ORACLE_A2S_DEFAULTS, ...options };
  }

  step(params: Vectors, rawGrads: Vectors): ExpectedDiagnostics {
    const o = this.o;
    this.t += 1;
    const t = this.t;
    const { grads, factor } = clip(rawGrads, o.clipNorm);
    let curvature = 0;
    if (this.prev !== undefined) {
      let total = 0;
      for (const name of Object.keys(grads)) {
        const g = grads[name] as number[];
        const p = this.prev[name] as number[];
        for (let i = 0; i < g.length; i++) total += ((g[i] as number) - (p[i] as number)) ** 2;
      }
      curvature = Math.sqrt(total);
    }
    this.prev = copy(grads);
    const lrScale = 1 / (1 + o.curvatureK * curvature);
    const auto = o.switchIter === "auto";
    let w: number;
    if (auto) w = this.auto.switchedAt === 0 ? 1 : oracleBlendWeight(t, this.auto.switchedAt, o.blendIters);
    else if (o.blend === undefined) w = oracleBlendWeight(t, o.switchIter as number, o.blendIters);
    else w = oracleSchedule(o.blend, t);
    // SWATS's estimate from Adam's step before the curvature scale: Σ p² and Σ −p·g.
    let pp = 0;
    let pg = 0;
    const sgdRate = (rate: OracleRate | "auto") =>
      rate === "auto" ? this.auto.sgdEstimate * (1 - o.momentum) : oracleSchedule(rate, t);
    for (const name of Object.keys(params)) {
      const p = params[name] as number[];
      const g = grads[name] as number[];
      const own = optionsFor(o, o.groups, name);
      const lrAdamEff = oracleSchedule(own.lrAdam, t) * lrScale;
      const lrSgdEff = sgdRate(own.lrSgd) * lrScale;
      this.m[name] ??= zeros(p.length);
      this.v[name] ??= zeros(p.length);
      this.buf[name] ??= zeros(p.length);
      const m = this.m[name];
      const v = this.v[name];
      const buf = this.buf[name];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] as number;
        const pi = p[i] as number;
        m[i] = own.beta1 * (m[i] as number) + (1 - own.beta1) * gi;
        v[i] = own.beta2 * (v[i] as number) + (1 - own.beta2) * gi * gi;
        const mHat = (m[i] as number) / (1 - own.beta1 ** t);
        const vHat = (v[i] as number) / (1 - own.beta2 ** t);
        const adamStep = (lrAdamEff * mHat) / (Math.sqrt(vHat) + own.epsilon);
        const unscaled = adamStep / lrScale;
        pp += unscaled * unscaled;
        pg += unscaled * gi;
        buf[i] = own.momentum * (buf[i] as number) + gi;
        const sgdStep = lrSgdEff * (buf[i] as number);
        const decay = own.weightDecay * (w * lrAdamEff + (1 - w) * lrSgdEff) * pi;
        p[i] = pi - (w * adamStep + (1 - w) * sgdStep + decay);
      }
    }
    const expected: ExpectedDiagnostics = {
      t,
      w,
      curvature,
      lrScale,
      clipFactor: factor,
      lrAdam: oracleSchedule(o.lrAdam, t) * lrScale,
      lrSgd: sgdRate(o.lrSgd) * lrScale,
    };
    if (!auto) return expected;
    // The rule: a bias-corrected average Λ of γ = p·p / (−p·g); every switchWindow steps
    // Λ is compared with its previous snapshot; after switchMinSteps, agreement within
    // switchTolerance (relative) fires the switch at this step, freezing Λ.
    const a = this.auto;
    const aligned = pg > 0;
    const gamma = aligned ? pp / pg : 0;
    if (aligned) a.gammaEma = o.beta2 * a.gammaEma + (1 - o.beta2) * gamma;
    const average = a.gammaEma / (1 - o.beta2 ** t);
    if (t % o.switchWindow === 0) {
      const settled =
        a.gammaReference > 0 &&
        average > 0 &&
        Math.abs(average - a.gammaReference) < o.switchTolerance * average;
      if (t >= o.switchMinSteps && settled && a.switchedAt === 0) {
        a.switchedAt = t;
        a.sgdEstimate = average;
      }
      a.gammaReference = average;
    }
    return {
      ...expected,
      switchedAt: a.switchedAt,
      sgdEstimate: a.sgdEstimate,
      gamma,
      gammaAverage: average,
    };
  }
}

/** Baseline defaults as in tfjs (`tf.train.adam`, `tf.train.rmsprop`) and the seed's SGD. */
export const ORACLE_BASELINE_DEFAULTS = {
  Adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  RMSProp: { learningRate: 0.001, decay: 0.9, epsilon: 1e-8 },
  SGDMomentum: { learningRate: 0.01, momentum: 0.9 },
} as const;

export type BaselineKind = keyof typeof ORACLE_BASELINE_DEFAULTS;

/** A baseline as one loop per tensor, with clipping, weight decay, schedules and groups. */
export class OracleBaseline implements Oracle {
  readonly kind: BaselineKind;
  readonly o: Record<string, unknown>;
  t = 0;
  slots: Record<string, { m: number[]; v: number[]; buf: number[] }> = {};

  constructor(kind: BaselineKind, options: Record<string, unknown> = {}) {
    this.kind = kind;
    this.o = {
      weightDecay: 0,
      clipNorm: Number.POSITIVE_INFINITY,
      ...ORACLE_BASELINE_DEFAULTS[kind],
      ...options,
    };
  }

  step(params: Vectors, rawGrads: Vectors): ExpectedDiagnostics {
    this.t += 1;
    const { t } = this;
    const { grads, factor } = clip(rawGrads, this.o.clipNorm as number);
    for (const name of Object.keys(params)) {
      const p = params[name] as number[];
      const g = grads[name] as number[];
      const o = optionsFor(this.o, this.o.groups as OracleGroup[] | undefined, name) as Record<
        string,
        number
      >;
      const lr = oracleSchedule(o.learningRate as OracleRate, t);
      this.slots[name] ??= { m: zeros(p.length), v: zeros(p.length), buf: zeros(p.length) };
      const s = this.slots[name];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] as number;
        const pi = p[i] as number;
        let step: number;
        if (this.kind === "Adam") {
          const b1 = o.beta1 as number;
          const b2 = o.beta2 as number;
          s.m[i] = b1 * (s.m[i] as number) + (1 - b1) * gi;
          s.v[i] = b2 * (s.v[i] as number) + (1 - b2) * gi * gi;
          const mHat = (s.m[i] as number) / (1 - b1 ** t);
          const vHat = (s.v[i] as number) / (1 - b2 ** t);
          step = (lr * mHat) / (Math.sqrt(vHat) + (o.epsilon as number));
        } else if (this.kind === "RMSProp") {
          const d = o.decay as number;
          s.v[i] = d * (s.v[i] as number) + (1 - d) * gi * gi;
          step = (lr * gi) / (Math.sqrt(s.v[i] as number) + (o.epsilon as number));
        } else {
          s.buf[i] = (o.momentum as number) * (s.buf[i] as number) + gi;
          step = lr * (s.buf[i] as number);
        }
        p[i] = pi - (step + (o.weightDecay as number) * lr * pi);
      }
    }
    return { t, learningRate: oracleSchedule(this.o.learningRate as OracleRate, t), clipFactor: factor };
  }
}
