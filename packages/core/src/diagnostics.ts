/**
 * What one A2S step did, read after the update: enough to plot the schedule and to
 * tune `curvatureK`. Adapters whose scalars live on a device fill it when asked, not on
 * every step.
 */
export interface StepDiagnostics {
  /** Step count, from 1. */
  t: number;
  /** Blend weight: 1 is pure Adam, 0 pure SGD with momentum. */
  w: number;
  /** L2 norm of the gradient difference over all tensors (0 on the first step). */
  curvature: number;
  /** `1 / (1 + curvatureK * curvature)`. */
  lrScale: number;
  /** Effective Adam learning rate, `lrAdam * lrScale`. */
  lrAdam: number;
  /** Effective SGD learning rate, `lrSgd * lrScale`. */
  lrSgd: number;
}
