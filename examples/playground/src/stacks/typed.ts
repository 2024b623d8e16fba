/** The MLP of @a2s/mlp on Float32Array, stepped by @a2s/typed: the whole step in plain JS. */
import { Mlp } from "@a2s/mlp";
import { A2S } from "@a2s/typed";
import { OPTIMIZERS } from "../optimizers.js";
import type { Stack } from "./stack.js";

export const typedStack: Stack = {
  async create({ optimizer, options, seed }) {
    const model = new Mlp({ seed });
    const opt = OPTIMIZERS[optimizer].create(options);
    return {
      backend: "typed",
      async step(x, y) {
        model.forward(x);
        const loss = model.loss(y);
        opt.update(model.params, model.backward(y));
        const diagnostics = opt instanceof A2S ? opt.diagnostics : undefined;
        return diagnostics ? { loss, w: diagnostics.w, lrScale: diagnostics.lrScale } : { loss };
      },
      async accuracy(images, labels) {
        return model.evaluate(images, labels).accuracy;
      },
      async parameters() {
        return model.params;
      },
      dispose() {},
    };
  },
};
