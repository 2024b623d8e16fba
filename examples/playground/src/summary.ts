/**
 * What a finished run reports: the page writes it as JSON into `#results`, and scripts
 * (the browser tests) read it there. Free of imports so that they can import it too.
 */
export interface RunSummary<Stack extends string = string, Optimizer extends string = string> {
  stack: Stack;
  optimizer: Optimizer;
  steps: number;
  /** Each step's batch loss, before the step. */
  losses: number[];
  /** On the page's test images, after the last step. */
  testAccuracy: number;
  /** A2S's blend weight and learning-rate scale at the last step; null for the baselines. */
  w: number | null;
  lrScale: number | null;
  /** What ran: "typed", or tfjs's getBackend(). */
  backend: string;
  seed: number;
  options: Record<string, number>;
  /** Steps per second of training alone (test evaluations not counted). */
  stepsPerSecond: number;
  /** SHA-256 of the final weights' bytes, W1 b1 W2 b2 W3 b3 in that order. */
  parametersSha256: string;
  trainImages: number;
  testImages: number;
}
