/**
 * Fused kernels on tfjs's cpu and wasm backends: one A2S step per variable in one pass over
 * the backend's own buffers, registered with tfjs (`tf.registerKernel`) and run through
 * its engine (`runKernel`), so that tidy, memory accounting and profiles see them as any
 * other kernel. The step's numbers, the first pass (gradient norm, curvature, finiteness),
 * the guard and the loops are `@a2s/typed`'s fused kernel: written once, shared.
 *
 * A tfjs tensor never changes. On cpu the kernel writes new buffers (a variable's buffer
 * may be an array its caller still holds). On wasm it runs `@a2s/wasm-kernels`' SIMD
 * kernels over the backend's heap: in place in a state buffer that only its variable
 * holds, into a copy otherwise (see simdTarget). The engine then assigns the outputs, as
 * the generic path does.
 *
 * Other backends (webgl, webgpu) run the generic path (`TensorOps`).
 */
import {
  type Algorithm,
  type AlgorithmDefinition,
  a2s,
  adam,
  type Engine,
  type FloatArray,
  NonFiniteGradientError,
  NonFiniteResultError,
  type PreparedStep,
  rmsprop,
  type StepOutcome,
  sgdMomentum,
} from "@a2s/core";
import {
  type A2SPasses,
  ADAM,
  a2sFusable,
  a2sStep,
  addTensorSums,
  type Baseline,
  type BaselinePasses,
  type Blend,
  baselineStep,
  checkA2S,
  clippedDifferenceSquares,
  type GroupStep,
  gradientSums,
  RMSPROP,
  runFused,
  SGD_MOMENTUM,
  writeA2S,
} from "@a2s/typed/fused";
import { A2SHostKernels, simdKernelsSupported } from "@a2s/wasm-kernels";
import * as tf from "@tensorflow/tfjs-core";
import { Expr, type StateCell } from "./expr.js";

/** `"fused"` (default): the fused kernel where there is one. `"generic"`: core's transforms over tfjs operations. */
export type Kernel = "fused" | "generic";
export const KERNELS: readonly Kernel[] = ["fused", "generic"];

/** The A2S kernel's name in tfjs's kernel registry. */
export const FUSED_A2S_KERNEL = "A2SFusedA2S";

type TensorInfo = tf.TensorInfo;

/** How a backend's buffers are read and its outputs made: views, no copies. */
interface BufferAccess {
  /** Whether `backend` is the one this access was written for (checked by shape, not by class). */
  fits(backend: unknown): boolean;
  /** New float32 outputs of `shape`, made before any view is taken (wasm's heap may grow). */
  outputs(backend: unknown, shape: readonly number[], count: number): TensorInfo[];
  /** The float32 values of a tensor, as the backend holds them. */
  view(backend: unknown, info: TensorInfo): Float32Array;
}

interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): TensorInfo;
}

interface WasmBackend {
  makeOutput(shape: number[], dtype: "float32"): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  refCount(dataId: object): number;
  incRef(dataId: object): void;
  wasm: { asm?: { memory?: unknown }; _malloc(bytes: number): number; HEAPU8: Uint8Array };
}

/**
 * The WebAssembly SIMD kernels of `@a2s/wasm-kernels` over the wasm backend's own heap,
 * made once per backend; null where they cannot run (no SIMD, or a backend build that does
 * not expose its memory), and the JavaScript loops run instead.
 */
type HostMemory = ConstructorParameters<typeof A2SHostKernels>[0];

const simdByBackend = new WeakMap<object, A2SHostKernels | null>();

function simdKernelsOf(backend: WasmBackend): A2SHostKernels | null {
  let kernels = simdByBackend.get(backend);
  if (kernels === undefined) {
    const memory = backend.wasm.asm?.memory;
    kernels = null;
    // Emscripten's module keeps its WebAssembly.Memory as the instance's export `memory`.
    if (typeof (memory as { grow?: unknown } | undefined)?.grow === "function" && simdKernelsSupported()) {
      // Pass 1 writes its float64 sums here; malloc aligns to 8 bytes at least.
      kernels = new A2SHostKernels(memory as HostMemory, backend.wasm._malloc(A2SHostKernels.STATS_BYTES));
    }
    simdByBackend.set(backend, kernels);
  }
  return kernels;
}

const offsetOf = (backend: WasmBackend, info: { dataId: object }): number =>
  (backend.dataIdMap.get(info.dataId) as { memoryOffset: number }).memoryOffset;

/**
 * The SIMD kernel writes in place. A state buffer that only its variable holds is updated
 * where it is and given back as the output, as tfjs's own Identity kernel gives back its
 * input. Anything else is copied into a new output first: a buffer another tensor shares
 * (a reshape, a tensor the variable was made from), and always the parameters, which the
 * model's matrix products read: the wasm backend's XNNPACK operators keep packed copies of
 * their weights by buffer, and would not see a change made in place.
 */
function simdTarget(backend: WasmBackend, info: TensorInfo, copy: boolean, state: boolean): TensorInfo {
  if (state && backend.refCount(info.dataId) === 1) {
    backend.incRef(info.dataId);
    return { dataId: info.dataId, shape: info.shape, dtype: info.dtype };
  }
  const out = backend.makeOutput([...info.shape], "float32");
  if (copy) {
    const from = offsetOf(backend, info);
    const bytes = 4 * info.shape.reduce((a, b) => a * b, 1);
    backend.wasm.HEAPU8.copyWithin(offsetOf(backend, out), from, from + bytes);
  }
  return out;
}

const CPU: BufferAccess = {
  fits: (backend) =>
    typeof (backend as Partial<CpuBackend>).makeTensorInfo === "function" &&
    typeof (backend as Partial<CpuBackend>).data?.get === "function",
  outputs: (backend, shape, count) =>
    Array.from({ length: count }, () =>
      (backend as CpuBackend).makeTensorInfo(
        [...shape],
        "float32",
        new Float32Array(shape.reduce((a, b) => a * b, 1)),
      ),
    ),
  view(backend, info) {
    const values = (backend as CpuBackend).data.get(info.dataId)?.values;
    // A float32 tensor holds a Float32Array; anything else would be a backend this was not written for.
    if (!(values instanceof Float32Array)) throw new Error(`${FUSED_A2S_KERNEL}: no float32 buffer`);
    return values;
  },
};

const WASM: BufferAccess = {
  fits: (backend) =>
    typeof (backend as Partial<WasmBackend>).makeOutput === "function" &&
    typeof (backend as Partial<WasmBackend>).typedArrayFromHeap === "function",
  outputs: (backend, shape, count) =>
    Array.from({ length: count }, () => (backend as WasmBackend).makeOutput([...shape], "float32")),
  view: (backend, info) => (backend as WasmBackend).typedArrayFromHeap(info),
};

const ACCESS: Readonly<Record<string, BufferAccess>> = { cpu: CPU, wasm: WASM };

/** The backends with fused kernels. */
export const FUSED_BACKENDS: readonly string[] = Object.keys(ACCESS);

/**
 * The kernel's attributes: the step's constants of the variable's group and the blend, and
 * (wasm) whether the SIMD kernel runs, in float32 arithmetic: only where bounds proved every
 * float32 intermediate finite.
 */
type A2SAttrs = GroupStep & Blend & { simd: boolean };

function simdA2S(backend: WasmBackend, inputs: Record<string, TensorInfo>, step: A2SAttrs): TensorInfo[] {
  const kernels = simdKernelsOf(backend) as A2SHostKernels;
  const { p, g, m, v, buf, prev } = inputs as Record<"p" | "g" | "m" | "v" | "buf" | "prev", TensorInfo>;
  const out = [
    simdTarget(backend, p, true, false),
    simdTarget(backend, m, true, true),
    simdTarget(backend, v, true, true),
    simdTarget(backend, buf, true, true),
    simdTarget(backend, prev, false, true),
  ];
  const [pOut, mOut, vOut, bufOut, prevOut] = out.map((info) => offsetOf(backend, info)) as number[];
  kernels.update(
    {
      param: pOut as number,
      grad: offsetOf(backend, g),
      m: mOut as number,
      v: vOut as number,
      buf: bufOut as number,
      prev: prevOut as number,
    },
    p.shape.reduce((a, b) => a * b, 1),
    {
      clip: step.c,
      beta1: step.beta1,
      beta2: step.beta2,
      momentum: step.momentum,
      epsilon: step.epsilon,
      biasCorrection1: step.biasCorrection1,
      biasCorrection2: step.biasCorrection2,
      w: step.w,
      lrAdam: step.lrAdam,
      lrSgd: step.lrSgd,
      weightDecay: step.weightDecay,
    },
  );
  return out;
}

function a2sKernelFunc(access: BufferAccess): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const step = attrs as unknown as A2SAttrs;
    if (step.simd) return simdA2S(backend as WasmBackend, inputs as Record<string, TensorInfo>, step);
    const { p, g, m, v, buf } = inputs as Record<"p" | "g" | "m" | "v" | "buf", TensorInfo>;
    const out = access.outputs(backend, p.shape, 5);
    const view = (info: TensorInfo) => access.view(backend, info);
    const [pOut, mOut, vOut, bufOut, prevOut] = out.map(view) as Float32Array[];
    writeA2S(
      { p: view(p), g: view(g), m: view(m), v: view(v), buf: view(buf) },
      {
        p: pOut as Float32Array,
        m: mOut as Float32Array,
        v: vOut as Float32Array,
        buf: bufOut as Float32Array,
        prev: prevOut as Float32Array,
      },
      step,
      step,
    );
    return out;
  };
}

/** Registers the fused kernels with tfjs, once per backend (a second copy of this package finds them there). */
export function registerFusedKernels(): void {
  const register = (kernelName: string, backendName: string, kernelFunc: tf.KernelFunc) => {
    if (tf.getKernel(kernelName, backendName) === undefined) {
      tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  };
  for (const [backendName, access] of Object.entries(ACCESS)) {
    register(FUSED_A2S_KERNEL, backendName, a2sKernelFunc(access));
  }
  for (const baseline of BASELINES.values())
    register(baseline.kernelName, "cpu", baselineKernelFunc(baseline));
}

/**
 * Whether the current backend's fused kernel computes `algorithm`'s steps. With an
 * `allReduce` on wasm it does not: the caller's reduction runs between the passes and
 * may grow wasm's heap, which moves the buffers the first pass's views look at.
 */
export function fusedApplies(algorithm: Algorithm, withAllReduce: boolean): boolean {
  const name = tf.getBackend();
  const access = ACCESS[name];
  if (access === undefined || !access.fits(tf.backend())) return false;
  if (algorithm.definition === a2s.definition) {
    return a2sFusable(algorithm) && !(withAllReduce && name !== "cpu");
  }
  // The baselines' JavaScript loops beat the cpu backend's operations many times over, but
  // not the wasm backend's SIMD operations: there the generic path stays.
  return name === "cpu" && BASELINES.has(algorithm.definition);
}

/** The fused step of the algorithm {@link fusedApplies} accepted. */
export function fusedStep(engine: Engine<Expr>, prepared: PreparedStep<Expr>): StepOutcome<Expr> | undefined {
  const baseline = BASELINES.get(engine.algorithm.definition);
  return baseline === undefined
    ? fusedA2SStep(engine, prepared)
    : fusedBaselineStep(engine, prepared, baseline);
}

/** The step's tensors of one variable: its own and its state's (temporary ones for state not on the device yet). */
interface StepTensors {
  p: tf.Tensor;
  g: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  buf: tf.Tensor;
  prev: tf.Tensor;
}

/**
 * A state cell as a tensor: its variable, or (zeros, checkpoint values not yet on the
 * device) a tensor of this step's tidy, so that a refused step allocates nothing that stays.
 */
function cellTensor(state: Expr): tf.Tensor {
  const cell = state.cell as StateCell;
  if (cell.host !== undefined) return tf.tensor(Float32Array.from(cell.host), [...cell.shape], "float32");
  return cell.variable ?? tf.zeros([...cell.shape], "float32");
}

/**
 * The first pass's view of a step: the buffers as `Float32Array`s. One view state per
 * engine state, so that `@a2s/typed`'s bounds on the state, kept by state object, carry
 * from step to step; {@link forgetFusedBounds} drops them when another path changed it.
 */
const viewStates = new WeakMap<
  object,
  { slots: Record<string, FloatArray>[]; scalars: Record<string, FloatArray> }
>();

/** Drops what the fused kernel knows of a state (a generic step or a load changed it). */
export function forgetFusedBounds(state: object): void {
  viewStates.delete(state);
}

function viewOf(
  prepared: PreparedStep<Expr>,
  tensors: readonly { p: tf.Tensor; g: tf.Tensor }[],
  slots: readonly Readonly<Record<string, tf.Tensor>>[],
): PreparedStep<FloatArray> {
  const backend = tf.backend();
  const access = ACCESS[tf.getBackend()] as BufferAccess;
  const view = (tensor: tf.Tensor) => access.view(backend, tensor as unknown as TensorInfo);
  let state = viewStates.get(prepared.state);
  if (state === undefined) {
    state = { slots: tensors.map(() => ({})), scalars: {} };
    viewStates.set(prepared.state, state);
  }
  slots.forEach((own, k) => {
    const views = state.slots[k] as Record<string, FloatArray>;
    for (const [slot, tensor] of Object.entries(own)) views[slot] = view(tensor);
  });
  return {
    t: prepared.t,
    tensors: prepared.tensors,
    dtypes: prepared.dtypes,
    fresh: prepared.fresh,
    inputs: prepared.inputs.map((input, k) => ({
      ...input,
      param: view((tensors[k] as { p: tf.Tensor }).p),
      grad: view((tensors[k] as { g: tf.Tensor }).g),
    })),
    state,
  };
}

/**
 * One A2S step by the fused kernel, inside the caller's `tf.tidy`: the outcome to
 * commit (new tensors for every variable and slot; the diagnostics as host numbers), or
 * undefined when the step has a non-finite gradient or result. Then nothing was made that
 * outlives the tidy, and the generic path runs the step: it refuses it (`"throw"`) with
 * its own error, naming the culprit as always, or discards it (`"skip"`).
 */
function fusedA2SStep(engine: Engine<Expr>, prepared: PreparedStep<Expr>): StepOutcome<Expr> | undefined {
  const tensors: StepTensors[] = prepared.inputs.map((input, k) => {
    const own = prepared.state.slots[k] as Record<string, Expr>;
    return {
      p: input.param.tensor as tf.Tensor,
      g: input.grad.tensor as tf.Tensor,
      m: cellTensor(own.m as Expr),
      v: cellTensor(own.v as Expr),
      buf: cellTensor(own.buf as Expr),
      prev: cellTensor(own.prev as Expr),
    };
  });
  const backend = tf.backend();
  const onWasm = tf.getBackend() === "wasm";
  // Before any view is taken, whatever may grow wasm's heap (which detaches the views): the
  // kernels' first use allocates there, and so does a tensor's first use on this backend
  // (tfjs moves its data over when the backend asks for it).
  const simd = onWasm ? simdKernelsOf(backend as unknown as WasmBackend) : null;
  if (onWasm)
    for (const own of tensors)
      for (const tensor of Object.values(own)) offsetOf(backend as unknown as WasmBackend, tensor);
  const view = viewOf(
    prepared,
    tensors,
    tensors.map(({ m, v, buf, prev }) => ({ m, v, buf, prev })),
  );
  const outputs: tf.Tensor[][] = [];
  const sizes = prepared.tensors.map((info) => info.size);
  const offset = (tensor: tf.Tensor) => offsetOf(backend as unknown as WasmBackend, tensor);
  const passes: A2SPasses = {
    sums(step, withDecay) {
      if (simd === null) return gradientSums(step, true, withDecay);
      const parts = [];
      for (const [k, own] of tensors.entries()) {
        const withParams = withDecay ? offset(own.p) : undefined;
        const stats = simd.gradientStats(offset(own.g), offset(own.prev), sizes[k] as number, 1, withParams);
        // The JavaScript pass finds the culprit (and throws, and the generic path takes the step).
        if (!stats.finite) return gradientSums(step, true, withDecay);
        parts.push(stats);
      }
      return addTensorSums(parts);
    },
    clippedDifferenceSquares(step, c) {
      // A factor below the smallest float32 would be 0 in the SIMD kernels.
      if (simd === null || Math.fround(c) === 0) return clippedDifferenceSquares(step, c);
      return tensors.reduce(
        (total, own, k) =>
          total + simd.gradientStats(offset(own.g), offset(own.prev), sizes[k] as number, c).diffSquares,
        0,
      );
    },
    write(step, { steps, blend, safe, safeInFloat32 }) {
      // Bounds that prove nothing: every result is computed once without writing, and a non-finite one refuses the step.
      if (!safe) {
        steps.forEach((s, k) => {
          checkA2S(step, k, s, blend);
        });
      }
      steps.forEach((s, k) => {
        const { p, g, m, v, buf, prev } = tensors[k] as StepTensors;
        const attrs = { ...s, ...blend, simd: simd !== null && safeInFloat32 } as unknown as tf.NamedAttrMap;
        outputs.push(
          tf.engine().runKernel(FUSED_A2S_KERNEL, { p, g, m, v, buf, prev }, attrs) as tf.Tensor[],
        );
      });
    },
  };
  let published: Map<string, FloatArray>;
  try {
    // Synchronous: an allReduce that returns a promise throws inside (the optimizer's wrapper).
    published = runFused(
      engine as unknown as Engine<FloatArray>,
      a2sStep(engine as unknown as Engine<FloatArray>, view, passes),
    ) as Map<string, FloatArray>;
  } catch (error) {
    if (isNonFinite(error)) return undefined;
    throw error;
  }
  return {
    params: outputs.map(([p]) => Expr.tensor(p as tf.Tensor)),
    slots: outputs.map(([, m, v, buf, prev]) => ({
      m: Expr.tensor(m as tf.Tensor),
      v: Expr.tensor(v as tf.Tensor),
      buf: Expr.tensor(buf as tf.Tensor),
      prev: Expr.tensor(prev as tf.Tensor),
    })),
    published: new Map([...published].map(([name, value]) => [name, Expr.constant(value[0] as number)])),
  };
}

/** A baseline's fused kernel (cpu): its name in tfjs's registry, its loops, its state slots. */
interface FusedBaseline {
  readonly kernelName: string;
  // biome-ignore lint/suspicious/noExplicitAny: each baseline has constants of its own kind.
  readonly baseline: Baseline<any>;
  readonly slots: readonly string[];
}

const BASELINES = new Map<AlgorithmDefinition, FusedBaseline>([
  [adam.definition, { kernelName: "A2SFusedAdam", baseline: ADAM, slots: ["m", "v"] }],
  [rmsprop.definition, { kernelName: "A2SFusedRMSProp", baseline: RMSPROP, slots: ["v"] }],
  [sgdMomentum.definition, { kernelName: "A2SFusedSGDMomentum", baseline: SGD_MOMENTUM, slots: ["buf"] }],
]);

/**
 * A baseline's kernel: copies the parameter and the state into new buffers (one copy each,
 * at memory speed) and runs `@a2s/typed`'s loop over the copies in place, so that no input
 * changes. Outputs: the parameter, then the slots in {@link FusedBaseline.slots} order.
 */
function baselineKernelFunc({ baseline, slots }: FusedBaseline): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { p, g } = inputs as Record<"p" | "g", TensorInfo>;
    const view = (info: TensorInfo) => CPU.view(backend, info);
    const param = view(p).slice();
    const state = Object.fromEntries(
      slots.map((slot) => [slot, view((inputs as Record<string, TensorInfo>)[slot] as TensorInfo).slice()]),
    );
    const { c, ...constants } = attrs as unknown as { c: number } & Record<string, number>;
    const one: PreparedStep<FloatArray> = {
      t: 0,
      tensors: [],
      dtypes: ["float32"],
      fresh: false,
      inputs: [{ name: "", shape: p.shape, dtype: "float32", param, grad: view(g) }],
      state: { slots: [state], scalars: {} },
    };
    baseline.apply(one, 0, constants, c, true);
    return [param, ...slots.map((slot) => state[slot] as Float32Array)].map((values) =>
      (backend as CpuBackend).makeTensorInfo([...p.shape], "float32", values),
    );
  };
}

/** One step of a baseline by its fused kernel (cpu), as {@link fusedA2SStep} for A2S. */
function fusedBaselineStep(
  engine: Engine<Expr>,
  prepared: PreparedStep<Expr>,
  { kernelName, baseline, slots }: FusedBaseline,
): StepOutcome<Expr> | undefined {
  const params = prepared.inputs.map((input) => ({
    p: input.param.tensor as tf.Tensor,
    g: input.grad.tensor as tf.Tensor,
  }));
  const state = prepared.state.slots.map((own) =>
    Object.fromEntries(slots.map((slot) => [slot, cellTensor(own[slot] as Expr)])),
  );
  const view = viewOf(prepared, params, state);
  const outputs: tf.Tensor[][] = [];
  // biome-ignore lint/suspicious/noExplicitAny: as FusedBaseline.baseline.
  const passes: BaselinePasses<any> = {
    sums: (step, withDecay) => gradientSums(step, false, withDecay),
    write(step, { steps, c, safe }) {
      // Bounds that prove nothing: every result is computed once without writing, and a non-finite one refuses the step.
      if (!safe) {
        steps.forEach((s, k) => {
          baseline.apply(step, k, s, c, false);
        });
      }
      steps.forEach((s, k) => {
        const attrs = { ...s, c } as unknown as tf.NamedAttrMap;
        const inputs = { ...params[k], ...state[k] } as tf.NamedTensorMap;
        outputs.push(tf.engine().runKernel(kernelName, inputs, attrs) as tf.Tensor[]);
      });
    },
  };
  let published: Map<string, FloatArray>;
  try {
    const typedEngine = engine as unknown as Engine<FloatArray>;
    published = runFused(typedEngine, baselineStep(typedEngine, view, baseline, passes)) as Map<
      string,
      FloatArray
    >;
  } catch (error) {
    if (isNonFinite(error)) return undefined;
    throw error;
  }
  return {
    params: outputs.map(([p]) => Expr.tensor(p as tf.Tensor)),
    slots: outputs.map(([, ...own]) =>
      Object.fromEntries(slots.map((slot, i) => [slot, Expr.tensor(own[i] as tf.Tensor)])),
    ),
    published: new Map([...published].map(([name, value]) => [name, Expr.constant(value[0] as number)])),
  };
}

const isNonFinite = (error: unknown): boolean =>
  error instanceof NonFiniteGradientError || error instanceof NonFiniteResultError;
