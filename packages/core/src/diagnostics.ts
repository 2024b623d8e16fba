/**
 * What one step did, read after it: the step count and every value the algorithm's
 * transforms published. Adapters whose scalars live on a device read them back when
 * asked, not on every step.
 *
 * A2S publishes `w`, `oneMinusW`, `curvature`, `lrScale`, `lrAdam` and `lrSgd` (the
 * top-level effective rates: the scheduled rate times `lrScale`) and `clipFactor` (1
 * when nothing was clipped; with `clipNorm` set also `gradientNorm`). The baselines
 * publish `learningRate` and `clipFactor`.
 */
export interface StepDiagnostics {
  /** Step count, from 1. */
  readonly t: number;
  /** Blend weight: 1 is pure Adam, 0 pure SGD with momentum. */
  readonly w?: number;
  /** L2 norm of the gradient difference over all tensors (0 on the first step). */
  readonly curvature?: number;
  /** `1 / (1 + curvatureK * curvature)`. */
  readonly lrScale?: number;
  /** Effective Adam learning rate: the scheduled `lrAdam` times `lrScale`. */
  readonly lrAdam?: number;
  /** Effective SGD learning rate: the scheduled `lrSgd` times `lrScale`. */
  readonly lrSgd?: number;
  /** A baseline's scheduled learning rate. */
  readonly learningRate?: number;
  /** The factor gradients were multiplied by (1 when not clipped). */
  readonly clipFactor?: number;
  /** The global gradient norm, when clipping is on. */
  readonly gradientNorm?: number;
  readonly [value: string]: number | undefined;
}
