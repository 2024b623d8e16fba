/** The tensors the optimizer-step rows run on, and values to fill them with. */
import { mulberry32 } from "@a2s/mnist";
import type { TensorShapes } from "./adapters/types.js";

/** The seed's MLP (784-128-64-10): six tensors, 109,386 parameters. */
export const MLP_SHAPES: TensorShapes = Object.freeze({
  W1: [784, 128],
  b1: [128],
  W2: [128, 64],
  b2: [64],
  W3: [64, 10],
  b3: [10],
});

export const MLP_PARAMS = countParams(MLP_SHAPES);

/** The MLP's own tensors at its size, otherwise one flat vector. */
export function shapesFor(size: number): TensorShapes {
  return size === MLP_PARAMS ? MLP_SHAPES : { x: [size] };
}

export function countParams(shapes: TensorShapes): number {
  let total = 0;
  for (const shape of Object.values(shapes)) total += shape.reduce((a, b) => a * b, 1);
  return total;
}

/** Float32 arrays per tensor, uniform in [-scale, scale), reproducible from `seed`. */
export function randomTensors(
  shapes: TensorShapes,
  scale: number,
  seed: number,
): Record<string, Float32Array> {
  const random = mulberry32(seed);
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const array = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < array.length; i++) array[i] = (2 * random() - 1) * scale;
    out[name] = array;
  }
  return out;
}

/**
 * Parameters plus two gradient sets that a stepper alternates between, so the curvature
 * term sees a real difference from one step to the next.
 */
export function stepInputs(shapes: TensorShapes): {
  params: Record<string, Float32Array>;
  grads: [Record<string, Float32Array>, Record<string, Float32Array>];
} {
  return {
    params: randomTensors(shapes, 0.05, 1),
    grads: [randomTensors(shapes, 0.01, 2), randomTensors(shapes, 0.01, 3)],
  };
}
