/**
 * The float64 oracle: A2S and its baselines as plain loops over `number[]`, written from
 * the spec's formulas and nothing else. It must stay independent of `@a2s/core` (no
 * import of its update, schedule or defaults), so that the suite checks core too.
 */

/** The seed's A2S defaults, restated here on purpose. */
export const ORACLE_A2S_DEFAULTS = {
  lrAdam: 0.001,
  lrSgd: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  momentum: 0.9,
  curvatureK: 0.05,
  switchIter: 1500,
  blendIters: 3000,
  epsilon: 1e-8,
} as const;

export type OracleA2SOptions = { -readonly [K in keyof typeof ORACLE_A2S_DEFAULTS]: number };
export type Vectors = Record<string, number[]>;

/** The seed's blend weight: 1 through `switchIter`, 0 from `switchIter + blendIters`, linear between. */
export function oracleBlendWeight(t: number, switchIter: number, blendIters: number): number {
  if (t <= switchIter) return 1;
  if (t >= switchIter + blendIters) return 0;
  return 1 - (t - switchIter) / blendIters;
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

/** What the oracle's last A2S step computed on the host. */
export interface OracleStepInfo {
  t: number;
  w: number;
  curvature: number;
  lrScale: number;
}

/** A2S in float64, one loop per tensor, exactly as the seed's update reads. */
export class OracleA2S {
  readonly o: OracleA2SOptions;
  t = 0;
  m: Vectors = {};
  v: Vectors = {};
  buf: Vectors = {};
  prev: Vectors | undefined;

  constructor(options: Partial<OracleA2SOptions> = {}) {
    this.o = { ...ORACLE_A2S_DEFAULTS, ...options };
  }

  /** Updates `params` in place, tensor by tensor, from the seed's formulas. */
  step(params: Vectors, grads: Vectors): OracleStepInfo {
    const o = this.o;
    this.t += 1;
    const t = this.t;
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
    this.prev = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, [...g]]));
    const lrScale = 1 / (1 + o.curvatureK * curvature);
    const w = oracleBlendWeight(t, o.switchIter, o.blendIters);
    for (const name of Object.keys(params)) {
      const p = params[name] as number[];
      const g = grads[name] as number[];
      this.m[name] ??= zeros(p.length);
      this.v[name] ??= zeros(p.length);
      this.buf[name] ??= zeros(p.length);
      const m = this.m[name];
      const v = this.v[name];
      const buf = this.buf[name];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] as number;
        m[i] = o.beta1 * (m[i] as number) + (1 - o.beta1) * gi;
        v[i] = o.beta2 * (v[i] as number) + (1 - o.beta2) * gi * gi;
        const mHat = (m[i] as number) / (1 - o.beta1 ** t);
        const vHat = (v[i] as number) / (1 - o.beta2 ** t);
        const adamStep = (o.lrAdam * lrScale * mHat) / (Math.sqrt(vHat) + o.epsilon);
        buf[i] = o.momentum * (buf[i] as number) + gi;
        const sgdStep = o.lrSgd * lrScale * (buf[i] as number);
        p[i] = (p[i] as number) - (w * adamStep + (1 - w) * sgdStep);
      }
    }
    return { t, w, curvature, lrScale };
  }
}

/** Baseline defaults as in tfjs (`tf.train.adam`, `tf.train.rmsprop`) and the seed's SGD. */
export const ORACLE_BASELINE_DEFAULTS = {
  Adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  RMSProp: { learningRate: 0.001, decay: 0.9, epsilon: 1e-8 },
  SGDMomentum: { learningRate: 0.01, momentum: 0.9 },
} as const;

export type BaselineKind = keyof typeof ORACLE_BASELINE_DEFAULTS;

/** A baseline as one loop per tensor; `slots` holds its state per tensor name. */
export class OracleBaseline {
  readonly kind: BaselineKind;
  readonly o: Record<string, number>;
  t = 0;
  slots: Record<string, { m: number[]; v: number[]; buf: number[] }> = {};

  constructor(kind: BaselineKind, options: Record<string, number> = {}) {
    this.kind = kind;
    this.o = { ...ORACLE_BASELINE_DEFAULTS[kind], ...options };
  }

  step(params: Vectors, grads: Vectors): void {
    this.t += 1;
    const { t, o } = this;
    const lr = o.learningRate as number;
    for (const name of Object.keys(params)) {
      const p = params[name] as number[];
      const g = grads[name] as number[];
      this.slots[name] ??= { m: zeros(p.length), v: zeros(p.length), buf: zeros(p.length) };
      const s = this.slots[name];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] as number;
        if (this.kind === "Adam") {
          const b1 = o.beta1 as number;
          const b2 = o.beta2 as number;
          s.m[i] = b1 * (s.m[i] as number) + (1 - b1) * gi;
          s.v[i] = b2 * (s.v[i] as number) + (1 - b2) * gi * gi;
          const mHat = (s.m[i] as number) / (1 - b1 ** t);
          const vHat = (s.v[i] as number) / (1 - b2 ** t);
          p[i] = (p[i] as number) - (lr * mHat) / (Math.sqrt(vHat) + (o.epsilon as number));
        } else if (this.kind === "RMSProp") {
          const d = o.decay as number;
          s.v[i] = d * (s.v[i] as number) + (1 - d) * gi * gi;
          p[i] = (p[i] as number) - (lr * gi) / (Math.sqrt(s.v[i] as number) + (o.epsilon as number));
        } else {
          s.buf[i] = (o.momentum as number) * (s.buf[i] as number) + gi;
          p[i] = (p[i] as number) - lr * (s.buf[i] as number);
        }
      }
    }
  }
}
