/** Rows for @a2s/typed: its A2S and Adam, fused and generic kernels, and the typed MLP. */
import type { Kind } from "../results.js";
import { stepInputs } from "../shapes.js";
import { checkpointStateSize } from "../state-size.js";
import type { AdapterSet, Stepper, TensorShapes, TrainAdapter } from "./types.js";

type Kernel = "fused" | "generic";

export async function loadTyped(): Promise<AdapterSet> {
  const typed = await import("@a2s/typed");
  const make =
    (kernel: Kernel) =>
    async (kind: Kind, shapes: TensorShapes): Promise<Stepper> => {
      const optimizer = kind === "A2S" ? new typed.A2S({}, { kernel }) : new typed.Adam({}, { kernel });
      const { params, grads } = stepInputs(shapes);
      let turn = 0;
      return {
        async: false,
        step() {
          optimizer.update(params, grads[turn] as Record<string, Float32Array>);
          turn ^= 1;
        },
        stateSize: async () => checkpointStateSize(optimizer.saveCheckpoint()),
        dispose() {},
      };
    };
  const trainer: TrainAdapter = { name: "typed fused", make: typedTrainer };
  return {
    steppers: [
      { name: "typed fused", make: make("fused"), cheapAtEverySize: true },
      { name: "typed generic", make: make("generic") },
    ],
    trainers: [trainer],
  };
}

/** The seed's MLP from @a2s/mlp (float32) with the fused kernel. */
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
