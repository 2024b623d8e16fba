/** Two-dimensional test functions whose valleys tell optimizers apart, with their gradients. */

export type Point = readonly [number, number];

export interface TestFunction {
  id: "rosenbrock" | "beale";
  label: string;
  value(x: number, y: number): number;
  gradient(x: number, y: number): [number, number];
  minimum: Point;
  /** The region drawn. */
  xRange: Point;
  yRange: Point;
  /** A start and learning rates at which all three optimizers get somewhere in 500 steps. */
  suggested: PathSettings;
}

/** Where the paths start, how long they run, and the options of each optimizer. */
export interface PathSettings {
  start: Point;
  steps: number;
  a2s: { lrAdam: number; lrSgd: number; curvatureK: number; switchIter: number; blendIters: number };
  adam: { learningRate: number };
  sgd: { learningRate: number; momentum: number };
}

/** (1 - x)^2 + 100 (y - x^2)^2: a curved, narrow valley; minimum 0 at (1, 1). */
export const rosenbrock: TestFunction = {
  id: "rosenbrock",
  label: "Rosenbrock",
  value: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  gradient: (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
  minimum: [1, 1],
  xRange: [-2, 2],
  yRange: [-1, 3],
  suggested: {
    start: [-1.2, 1],
    steps: 500,
    a2s: { lrAdam: 0.05, lrSgd: 0.001, curvatureK: 0.05, switchIter: 100, blendIters: 200 },
    adam: { learningRate: 0.05 },
    sgd: { learningRate: 0.001, momentum: 0.9 },
  },
};

/** Beale's function: flat plateaus and steep walls; minimum 0 at (3, 0.5). */
export const beale: TestFunction = {
  id: "beale",
  label: "Beale",
  value: (x, y) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2,
  gradient: (x, y) => {
    const a = 1.5 - x + x * y;
    const b = 2.25 - x + x * y * y;
    const c = 2.625 - x + x * y ** 3;
    return [
      2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y ** 3 - 1),
      2 * a * x + 4 * b * x * y + 6 * c * x * y * y,
    ];
  },
  minimum: [3, 0.5],
  xRange: [-4.5, 4.5],
  yRange: [-4.5, 4.5],
  suggested: {
    start: [-1, -1],
    steps: 500,
    a2s: { lrAdam: 0.1, lrSgd: 0.001, curvatureK: 0.05, switchIter: 100, blendIters: 200 },
    adam: { learningRate: 0.1 },
    sgd: { learningRate: 0.001, momentum: 0.9 },
  },
};

export const TEST_FUNCTIONS = { rosenbrock, beale } as const;
