import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, test } from "vitest";
import {
  A2S,
  a2s,
  adam,
  FUSED_A2S_KERNEL,
  InvalidOptionError,
  type Optimizer,
  rmsprop,
  sgdMomentum,
} from "../src/index.js";
import { BACKENDS, useBackend } from "./backends.js";

afterEach(() => tf.disposeVariables());

/** The names of the kernels one step of `optimizer` runs. */
async function kernelsOfStep(optimizer: Optimizer, grads: tf.NamedTensorMap): Promise<string[]> {
  const profile = await tf.profile(() => optimizer.applyGradients(grads));
  return profile.kernelNames;
}

describe.each(BACKENDS)("the fused kernel on %s", (backend) => {
  test("runs A2S's steps, registered with tfjs, in place of the generic path's operations", async () => {
    await useBackend(backend);
    const w = tf.variable(tf.tensor([1, 2, 3, 4], [2, 2]), true, `fused_w_${backend}`);
    const grads = { [w.name]: tf.tensor([0.1, -0.2, 0.3, -0.4], [2, 2]) };
    const fused = a2s({ clipNorm: 1, weightDecay: 1e-2 });
    const generic = a2s({ clipNorm: 1, weightDecay: 1e-2 }, { kernel: "generic" });
    expect(fused.kernel).toBe("fused");
    expect(generic.kernel).toBe("generic");
    const fusedKernels = await kernelsOfStep(fused, grads);
    expect(fusedKernels).toContain(FUSED_A2S_KERNEL);
    // Two passes: the kernel and nothing of the generic path's elementwise arithmetic.
    expect(fusedKernels).not.toContain("Sqrt");
    const genericKernels = await kernelsOfStep(generic, grads);
    expect(genericKernels).not.toContain(FUSED_A2S_KERNEL);
    expect(genericKernels).toContain("Sqrt");
    tf.dispose(Object.values(grads));
    fused.dispose();
    generic.dispose();
  });

  test("the baselines: fused on cpu (their own kernels), generic on wasm; A2S's automatic switch: generic", async () => {
    await useBackend(backend);
    const expected = backend === "cpu" ? "fused" : "generic";
    for (const make of [adam, rmsprop, sgdMomentum]) expect(make().kernel).toBe(expected);
    expect(adam({}, { kernel: "generic" }).kernel).toBe("generic");
    expect(a2s({ switchIter: "auto" }).kernel).toBe("generic");
    const w = tf.variable(tf.tensor([1, 2, 3]), true, `fused_adam_${backend}`);
    const grads = { [w.name]: tf.tensor([0.1, -0.2, 0.3]) };
    const kernels = await kernelsOfStep(adam({ weightDecay: 1e-2 }), grads);
    expect(kernels.includes("A2SFusedAdam")).toBe(backend === "cpu");
    expect(kernels.includes("Sqrt")).toBe(backend !== "cpu");
    tf.dispose(Object.values(grads));
  });

  test("leaves the tensors it reads as they were (a variable's initial tensor, the gradients)", async () => {
    await useBackend(backend);
    const initial = Float32Array.of(1, 2, 3);
    const start = tf.tensor(initial);
    const w = tf.variable(start, true, `fused_inputs_${backend}`);
    const g = tf.tensor([0.5, -0.5, 1]);
    const optimizer = a2s({ lrAdam: 0.1 });
    optimizer.applyGradients({ [w.name]: g });
    optimizer.applyGradients({ [w.name]: g });
    expect(Array.from(start.dataSync())).toEqual([1, 2, 3]);
    // The cpu backend keeps the very array a tensor was made from: it must not change either.
    expect(Array.from(initial)).toEqual([1, 2, 3]);
    expect(Array.from(g.dataSync())).toEqual([0.5, -0.5, 1]);
    expect(Array.from(w.dataSync())).not.toEqual([1, 2, 3]);
    tf.dispose([start, g]);
    optimizer.dispose();
  });

  test("a tensor sharing a variable's or a state's buffer (a reshape) keeps its values; the variable and the state move on", async () => {
    await useBackend(backend);
    const w = tf.variable(tf.tensor([1, 2, 3]), true, `fused_clone_${backend}`);
    const g = tf.tensor([0.5, -0.5, 1]);
    const optimizer = a2s({ lrAdam: 0.1 });
    optimizer.applyGradients({ [w.name]: g });
    // On wasm a buffer no other tensor holds is updated in place; a reshape shares it.
    const param = tf.reshape(w, [3, 1]);
    const m = (
      (await optimizer.getWeights()).find((weight) => weight.name.endsWith("/m")) as { tensor: tf.Tensor }
    ).tensor;
    const moment = tf.reshape(m, [3, 1]);
    const before = { param: Array.from(param.dataSync()), moment: Array.from(moment.dataSync()) };
    optimizer.applyGradients({ [w.name]: g });
    expect(Array.from(param.dataSync())).toEqual(before.param);
    expect(Array.from(moment.dataSync())).toEqual(before.moment);
    expect(Array.from(w.dataSync())).not.toEqual(before.param);
    expect(Array.from(m.dataSync())).not.toEqual(before.moment);
    tf.dispose([g, param, moment]);
    optimizer.dispose();
  });

  test("a variable the model multiplies by gets the step's values in the next forward pass (as the generic path)", async () => {
    await useBackend(backend);
    const trajectory = (kernel: "fused" | "generic") => {
      const [w, b] = tf.tidy(() => [
        tf.variable(tf.ones([4, 3]), true, `fused_mm_w_${backend}_${kernel}`),
        tf.variable(tf.zeros([3]), true, `fused_mm_b_${backend}_${kernel}`),
      ]) as [tf.Variable, tf.Variable];
      const optimizer = a2s({ lrAdam: 0.1 }, { kernel });
      const x = tf.tensor2d([1, 2, 3, 4, -1, 0.5, 2, 1], [2, 4]);
      const losses: number[] = [];
      for (let step = 0; step < 4; step++) {
        const loss = optimizer.minimize(() => tf.sum(tf.square(tf.add(tf.matMul(x, w), b))), true, [w, b]);
        losses.push((loss as tf.Scalar).dataSync()[0] as number);
        loss?.dispose();
      }
      tf.dispose([w, b, x]);
      optimizer.dispose();
      return losses;
    };
    const fused = trajectory("fused");
    const generic = trajectory("generic");
    // Float32 rounding apart (relative 1e-5, as the conformance suite allows), the same losses;
    // a forward pass that saw the old weights would repeat a loss.
    fused.forEach((loss, i) => {
      expect(Math.abs(loss - (generic[i] as number)) / (generic[i] as number)).toBeLessThan(1e-5);
    });
    expect(new Set(fused).size).toBe(fused.length);
  });

  test("with an allReduce: fused on cpu, whose buffers never move; generic on wasm, whose heap may grow during the caller's reduction", async () => {
    await useBackend(backend);
    const optimizer = a2s({}, { allReduce: (partials) => partials });
    expect(optimizer.kernel).toBe(backend === "cpu" ? "fused" : "generic");
  });
});

test("an unknown kernel is refused with the option's error", () => {
  for (const kernel of ["simd", "Fused", 1]) {
    expect(() => new A2S({}, { kernel: kernel as never })).toThrow(InvalidOptionError);
    expect(() => new A2S({}, { kernel: kernel as never })).toThrow(
      /option kernel must be "fused" or "generic"/,
    );
  }
});

test("steps after a switch of backend (tfjs moves the tensors' data to the new one) match the generic path's", async () => {
  const run = async (kernel: "fused" | "generic") => {
    await useBackend("cpu");
    const w = tf.tidy(() =>
      tf.variable(tf.linspace(-1, 1, 12).reshape([3, 4]), true, `fused_switch_${kernel}`),
    );
    const optimizer = a2s({ lrAdam: 0.05, clipNorm: 1, weightDecay: 1e-2 }, { kernel });
    const step = (i: number) =>
      tf.tidy(() =>
        optimizer.applyGradients({
          [w.name]: tf.fill([3, 4], 0.1 * i).add(tf.linspace(0, 1, 12).reshape([3, 4])),
        }),
      );
    for (let i = 1; i <= 3; i++) step(i);
    await useBackend("wasm");
    expect(optimizer.kernel).toBe(kernel);
    for (let i = 4; i <= 6; i++) step(i);
    const values = Array.from(w.dataSync());
    const m = Array.from(
      ((await optimizer.getWeights()).find((x) => x.name.endsWith("/m"))?.tensor as tf.Tensor).dataSync(),
    );
    optimizer.dispose();
    w.dispose();
    return [...values, ...m];
  };
  const fused = await run("fused");
  const generic = await run("generic");
  // Float32 rounding apart: relative 1e-5 of the largest value, as the conformance suite allows.
  const scale = Math.max(...generic.map(Math.abs));
  fused.forEach((x, i) => {
    expect(Math.abs(x - (generic[i] as number)) / scale).toBeLessThan(1e-5);
  });
});
