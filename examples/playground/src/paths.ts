/**
 * The path an optimizer of @a2s/typed takes on a 2-D test function: the point is one
 * Float64Array of two parameters, its gradient the function's.
 */
import { NonFiniteGradientError } from "@a2s/typed";
import type { TypedOptimizer } from "./optimizers.js";
import type { Point, TestFunction } from "./test-functions.js";

export interface Path {
  /** x0, y0, x1, y1, ...: the start and the point after each step taken. */
  points: Float64Array;
  /** Steps taken: fewer than asked when the point ran off to infinity. */
  steps: number;
  /** Set when the path stopped because a gradient was no longer finite. */
  diverged: boolean;
}

export function optimizerPath(
  fn: TestFunction,
  start: Point,
  steps: number,
  optimizer: TypedOptimizer,
): Path {
  const xy = Float64Array.from(start);
  const grad = new Float64Array(2);
  const points = new Float64Array(2 * (steps + 1));
  points.set(xy);
  for (let step = 1; step <= steps; step++) {
    grad.set(fn.gradient(xy[0] as number, xy[1] as number));
    try {
      optimizer.update({ xy }, { xy: grad });
    } catch (error) {
      // The optimizer refuses a non-finite gradient and leaves the point where it was.
      if (error instanceof NonFiniteGradientError) {
        return { points: points.subarray(0, 2 * step), steps: step - 1, diverged: true };
      }
      throw error;
    }
    points.set(xy, 2 * step);
  }
  return { points, steps, diverged: false };
}
