/**
 * Rows for @a2s/typed: its A2S and Adam on each kernel (the SIMD kernels with the
 * caller's arrays copied and with arrays bound to the kernels' memory, the JavaScript
 * fused loop, the generic kernel), and the typed MLP.
 */
import type { A2SOptions } from "@a2s/core";
import type { Kind } from "../results.js";
import { stepInputs } from "../shapes.js";
import { checkpointStateSize } from "../state-size.js";
import type { AdapterSet, Stepper, TensorShapes, TrainAdapter } from "./types.js";

type Kernel = "simd" | "fused" | "generic";

/** The default path: the SIMD kernels over the caller's Float32Arrays, copied in and out. */
export const TYPED_SIMD_ROW = "typed simd";
/** The SIMD kernels over arrays from `bind`, which live in the kernels' memory. */
export const TYPED_BOUND_ROW = "typed simd, bound arrays (no copies)";
export const TYPED_FUSED_ROW = "typed fused";

/**
 * A stepper on one kernel. `bound`: the parameters and gradients are the arrays `bind`
 * returns, the gradient written once, as a model that keeps its tensors there would leave
 * it; otherwise the caller's arrays, alternating between two gradient sets.
 */
function make(kernel: Kernel, bound = false) {
  return async (kind: Kind, shapes: TensorShapes, a2sOptions: Partial<A2SOptions> = {}): Promise<Stepper> => {
    const typed = await import("@a2s/typed");
    const optimizer = kind === "A2S" ? new typed.A2S(a2sOptions, { kernel }) : new typed.Adam({}, { kernel });
    const inputs = stepInputs(shapes);
    let step: () => void;
    if (bound) {
      const { params, grads } = optimizer.bind(inputs.params);
      for (const [name, g] of Object.entries(inputs.grads[0])) grads[name]?.set(g);
      step = () => optimizer.update(params, grads);
    } else {
      let turn = 0;
      step = () => {
        optimizer.update(inputs.params, inputs.grads[turn] as Record<string, Float32Array>);
        turn ^= 1;
      };
    }
    return {
      async: false,
      step,
      stateSize: async () => checkpointStateSize(optimizer.saveCheckpoint()),
      dispose() {},
    };
  };
}

/** The default kernel's rows and the typed MLP's training (which runs the default kernel). */
export async function loadTypedSimd(): Promise<AdapterSet> {
  const typed = await import("@a2s/typed");
  if (new typed.A2S().kernel !== "simd") throw new Error("@a2s/typed does not run its SIMD kernels here");
  const trainer: TrainAdapter = { name: TYPED_SIMD_ROW, make: typedTrainer };
  return {
    steppers: [
      { name: TYPED_SIMD_ROW, make: make("simd"), cheapAtEverySize: true, takesOptions: true },
      { name: TYPED_BOUND_ROW, make: make("simd", true), cheapAtEverySize: true },
    ],
    trainers: [trainer],
  };
}

/** The JavaScript kernels' rows: the fused loop (float64 intermediates) and the generic kernel. */
export async function loadTyped(): Promise<AdapterSet> {
  await import("@a2s/typed");
  return {
    steppers: [
      { name: TYPED_FUSED_ROW, make: make("fused"), cheapAtEverySize: true, takesOptions: true },
      { name: "typed generic", make: make("generic"), takesOptions: true },
    ],
    trainers: [],
  };
}

/** The seed's MLP from @a2s/mlp (float32) with the default kernel, its arrays copied each step. */
async function typedTrainer(kind: Kind, seed: number) {
  const [{ Mlp }, typed] = await Promise.all([import("@a2s/mlp"), import("@a2s/typed")]);
  const mlp = new Mlp({ seed });
  const optimizer = kind === "A2S" ? new typed.A2S() : new typed.Adam();
  return {
    step(x: Float32Array, y: Uint8Array) {
      mlp.forward(x);
      optimizer.update(mlp.params, mlp.backward(y));
    },
    accuracy: (x: Float32Array, y: Uint8Array) => mlp.accuracy(x, y),
    dispose() {},
  };
}
