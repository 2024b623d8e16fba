/**
 * Steps on @a2s/wasm-kernels with the host side an integrator writes: pass 1 over every
 * tensor, the curvature and the step's scalars (the seed's defaults and schedule), pass 2.
 * The placements are the ways the caller's Float32Arrays can meet the kernels' memory.
 */
import { a2s, adam } from "@a2s/core";
import type { A2SKernels, AdamKernels } from "@a2s/wasm-kernels";
import type { StateSize, Stepper, TensorShapes } from "./adapters/types.js";
import type { Placement } from "./placement-labels.js";
import { countParams, stepInputs } from "./shapes.js";

type Wasm = typeof import("@a2s/wasm-kernels");

/** The seed's defaults, as core resolves them. */
const A2S_DEFAULTS = a2s().options as Record<
  | "lrAdam"
  | "lrSgd"
  | "beta1"
  | "beta2"
  | "momentum"
  | "epsilon"
  | "curvatureK"
  | "switchIter"
  | "blendIters",
  number
>;
const ADAM_DEFAULTS = adam().options as Record<"learningRate" | "beta1" | "beta2" | "epsilon", number>;

/** The bytes of the state slots in the kernels' memory. */
function slotBytes<Name extends string>(
  tensors: readonly Readonly<Record<Name, Float32Array>>[],
  slots: readonly Name[],
): StateSize {
  let bytes = 0;
  for (const tensor of tensors) for (const slot of slots) bytes += tensor[slot].byteLength;
  return { bytes, bytesPerElement: 4, source: "kernel memory slots" };
}

function lengthsOf(shapes: TensorShapes): number[] {
  return Object.values(shapes).map((shape) => countParams({ t: shape }));
}

/** The seed's blend weight at step t (from 1): 1 through switchIter, then linearly to 0. */
function blendWeight(t: number): number {
  const { switchIter, blendIters } = A2S_DEFAULTS;
  return Math.min(1, Math.max(0, 1 - (t - switchIter) / blendIters));
}

function a2sHostStep(kernels: A2SKernels, t: number): void {
  const o = A2S_DEFAULTS;
  let diff = 0;
  for (let i = 0; i < kernels.lengths.length; i++) {
    const stats = kernels.gradientStats(i);
    if (!stats.finite)
      throw new RangeError(`gradient ${i} has a non-finite value at ${kernels.firstNonFinite(i)}`);
    diff += stats.diffSquares;
  }
  const curvature = t === 1 ? 0 : Math.sqrt(diff);
  const scale = 1 / (1 + o.curvatureK * curvature);
  const scalars = {
    clip: 1,
    beta1: o.beta1,
    beta2: o.beta2,
    momentum: o.momentum,
    epsilon: o.epsilon,
    biasCorrection1: 1 - o.beta1 ** t,
    biasCorrection2: 1 - o.beta2 ** t,
    w: blendWeight(t),
    lrAdam: o.lrAdam * scale,
    lrSgd: o.lrSgd * scale,
    weightDecay: 0,
  };
  for (let i = 0; i < kernels.lengths.length; i++) kernels.update(i, scalars);
}

/**
 * An A2S stepper over the kernels. `views`: the parameters and gradients already live in
 * the kernels' memory (a model writes its gradients there), so nothing is copied and the
 * gradient stays as written; `copy`: the caller's parameters and gradient are copied in
 * and the parameters out, the state stays inside; `all`: the state lives in the caller's
 * arrays too and every array crosses both ways.
 */
export function wasmA2SStepper(
  wasm: Wasm,
  shapes: TensorShapes,
  placement: Placement,
): Stepper & { params: readonly Float32Array[] } {
  const kernels = new wasm.A2SKernels(lengthsOf(shapes));
  const { params, grads } = stepInputs(shapes);
  const user = Object.values(params);
  const gradSets = grads.map((set) => Object.values(set));
  const views = kernels.tensors;
  const slots = ["m", "v", "buf", "prev"] as const;
  const outside = user.map((p) => Object.fromEntries(slots.map((s) => [s, new Float32Array(p.length)])));
  views.forEach((view, i) => {
    view.param.set(user[i] as Float32Array);
    view.grad.set(gradSets[0]?.[i] as Float32Array);
  });
  let t = 0;
  let turn = 0;
  const step = () => {
    t++;
    turn ^= 1;
    if (placement !== "views") {
      views.forEach((view, i) => {
        view.grad.set(gradSets[turn]?.[i] as Float32Array);
        view.param.set(user[i] as Float32Array);
        if (placement === "all") for (const s of slots) view[s].set(outside[i]?.[s] as Float32Array);
      });
    }
    a2sHostStep(kernels, t);
    if (placement !== "views") {
      views.forEach((view, i) => {
        (user[i] as Float32Array).set(view.param);
        if (placement === "all") for (const s of slots) (outside[i]?.[s] as Float32Array).set(view[s]);
      });
    }
  };
  return {
    async: false,
    step,
    // Where the caller reads the parameters: its own arrays, or the kernels' views.
    params: placement === "views" ? views.map((v) => v.param) : user,
    stateSize: async () => slotBytes(kernels.tensors, slots),
    dispose() {},
  };
}

/** Adam over the kernels, the caller's parameters and gradient copied as in `copy`. */
export function wasmAdamStepper(
  wasm: Wasm,
  shapes: TensorShapes,
): Stepper & { params: readonly Float32Array[] } {
  const kernels: AdamKernels = new wasm.AdamKernels(lengthsOf(shapes));
  const { params, grads } = stepInputs(shapes);
  const user = Object.values(params);
  const gradSets = grads.map((set) => Object.values(set));
  const o = ADAM_DEFAULTS;
  let t = 0;
  let turn = 0;
  return {
    async: false,
    params: user,
    step() {
      t++;
      turn ^= 1;
      kernels.tensors.forEach((view, i) => {
        view.grad.set(gradSets[turn]?.[i] as Float32Array);
        view.param.set(user[i] as Float32Array);
        const stats = kernels.gradientStats(i);
        if (!stats.finite)
          throw new RangeError(`gradient ${i} has a non-finite value at ${kernels.firstNonFinite(i)}`);
      });
      const scalars = {
        clip: 1,
        beta1: o.beta1,
        beta2: o.beta2,
        epsilon: o.epsilon,
        biasCorrection1: 1 - o.beta1 ** t,
        biasCorrection2: 1 - o.beta2 ** t,
        learningRate: o.learningRate,
        weightDecay: 0,
      };
      kernels.tensors.forEach((view, i) => {
        kernels.update(i, scalars);
        (user[i] as Float32Array).set(view.param);
      });
    },
    stateSize: async () => slotBytes(kernels.tensors, ["m", "v"]),
    dispose() {},
  };
}
