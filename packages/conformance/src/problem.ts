/**
 * The test problem every tier optimizes: a noisy quadratic over several tensors of
 * different shapes, one of them a single element. Gradients depend on the parameters,
 * so a wrong step changes every later gradient and errors cannot hide.
 */
import { mulberry32 } from "@a2s/random";
import type { HostTensor } from "./adapter.js";

/** Name and shape of each tensor of the problem. */
export const PROBLEM_SHAPES: Readonly<Record<string, readonly number[]>> = Object.freeze({
  W: [4, 3],
  b: [3],
  conv: [2, 2, 2],
  s: [1],
});

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * `loss = sum_i a_i (p_i - c_i)^2 / 2`, gradient `a_i (p_i - c_i) + noise`. Curvatures
 * `a` lie in [0.5, 2], so SGD with momentum stays stable at the learning rates the
 * tiers use. Targets and starting points keep away from 0 (|c| >= 1), so the
 * relative errors are measured against values of order 1.
 */
export class NoisyQuadratic {
  readonly names: readonly string[];
  readonly #a: Record<string, Float64Array> = {};
  readonly #c: Record<string, Float64Array> = {};
  readonly #start: Record<string, Float64Array> = {};
  readonly #noise: Float64Array[][] = [];
  readonly #random: () => number;
  readonly noiseScale: number;

  constructor(seed = 1, noiseScale = 0.3) {
    this.#random = mulberry32(seed);
    this.noiseScale = noiseScale;
    this.names = Object.keys(PROBLEM_SHAPES);
    const r = this.#random;
    for (const name of this.names) {
      const n = size(PROBLEM_SHAPES[name] as number[]);
      const sign = () => (r() < 0.5 ? -1 : 1);
      this.#a[name] = Float64Array.from({ length: n }, () => 0.5 + 1.5 * r());
      this.#c[name] = Float64Array.from({ length: n }, () => sign() * (1 + r()));
      // Starting values are float32-representable, so every dtype starts exactly where the oracle does.
      this.#start[name] = Float64Array.from(
        { length: n },
        (_, i) => Math.fround((this.#c[name] as Float64Array)[i] as number) * (0.5 + 0.4 * r()),
      );
    }
  }

  /** The starting parameters, as the adapter's `create` takes them (fresh copies). */
  initialParams(): Record<string, HostTensor> {
    return Object.fromEntries(
      this.names.map((name) => [
        name,
        {
          shape: [...(PROBLEM_SHAPES[name] as number[])],
          data: Float64Array.from(this.#start[name] as Float64Array),
        },
      ]),
    );
  }

  /** The gradient at `params` for step `step` (from 1); the same step always gets the same noise. */
  gradient(params: Readonly<Record<string, ArrayLike<number>>>, step: number): Record<string, Float64Array> {
    while (this.#noise.length < step) {
      this.#noise.push(
        this.names.map((name) =>
          Float64Array.from(
            { length: (this.#a[name] as Float64Array).length },
            () => this.noiseScale * (2 * this.#random() - 1),
          ),
        ),
      );
    }
    const noise = this.#noise[step - 1] as Float64Array[];
    return Object.fromEntries(
      this.names.map((name, k) => {
        const p = params[name] as ArrayLike<number>;
        const a = this.#a[name] as Float64Array;
        const c = this.#c[name] as Float64Array;
        const e = noise[k] as Float64Array;
        return [
          name,
          Float64Array.from(a, (ai, i) => ai * ((p[i] as number) - (c[i] as number)) + (e[i] as number)),
        ];
      }),
    );
  }
}
