/** Types of trajectory.mjs for the test that imports it. */
import type { Kernel } from "../../src/index.js";

export function trajectory(
  typed: typeof import("../../src/index.js"),
  settings: { kernel?: Kernel },
): { kernel: Kernel; bindReturnsGiven: boolean; params: Record<string, number[]> };
