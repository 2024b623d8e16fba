/**
 * Fused kernels on tfjs's cpu and wasm backends: one A2S step per variable in one pass over
 * the backend's own buffers, registered with tfjs (`tf.registerKernel`) and run through
 * its engine (`runKernel`), so that tidy, memory accounting and profiles see them as any
 * other kernel. The step's numbers, the first pass (gradient norm, curvature, finiteness),
 * the guard and the loops are `@a2s/typed`'s fused kernel: written once, shared.
 *
 * The kernel writes new buffers and leaves its inputs as they were: a tfjs tensor does not
 * change, and on the cpu backend a variable's buffer may be an array its caller still
 * holds. The engine then assigns the new tensors, as the generic path does.
 *
 * Other backends (webgl, webgpu) run the generic path (`TensorOps`).
 */
import {
  type Algorithm,
  a2s,
  type Engine,
  type FloatArray,
  NonFiniteGradientError,
  NonFiniteResultError,
  type PreparedStep,
  type StepOutcome,
} from "@a2s/core";
import {
  type A2SPasses,
  a2sFusable,
  a2sStep,
  type Blend,
  checkA2S,
  clippedDifferenceSquares,
  type GroupStep,
  gradientSums,
  runFused,
  writeA2S,
} from "@a2s/typed/fused";
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

/** The kernel's attributes: the step's constants of the variable's group and the blend. */
type A2SAttrs = GroupStep & Blend;

function a2sKernelFunc(access: BufferAccess): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { p, g, m, v, buf } = inputs as Record<"p" | "g" | "m" | "v" | "buf", TensorInfo>;
    const out = access.outputs(backend, p.shape, 5);
    const view = (info: TensorInfo) => access.view(backend, info);
    const [pOut, mOut, vOut, bufOut, prevOut] = out.map(view) as Float32Array[];
    const step = attrs as unknown as A2SAttrs;
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
  for (const [backendName, access] of Object.entries(ACCESS)) {
    if (tf.getKernel(FUSED_A2S_KERNEL, backendName) === undefined) {
      tf.registerKernel({ kernelName: FUSED_A2S_KERNEL, backendName, kernelFunc: a2sKernelFunc(access) });
    }
  }
}

/**
 * Whether the current backend's fused kernel computes `algorithm`'s steps. With an
 * `allReduce` on wasm it does not: the caller's reduction runs between the passes and
 * may grow wasm's heap, which moves the buffers the first pass's views look at.
 */
export function fusedApplies(algorithm: Algorithm, withAllReduce: boolean): boolean {
  if (algorithm.definition !== a2s.definition || !a2sFusable(algorithm)) return false;
  const name = tf.getBackend();
  const access = ACCESS[name];
  if (access === undefined || (withAllReduce && name !== "cpu")) return false;
  return access.fits(tf.backend());
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

function viewOf(prepared: PreparedStep<Expr>, tensors: readonly StepTensors[]): PreparedStep<FloatArray> {
  const backend = tf.backend();
  const access = ACCESS[tf.getBackend()] as BufferAccess;
  const view = (tensor: tf.Tensor) => access.view(backend, tensor as unknown as TensorInfo);
  let state = viewStates.get(prepared.state);
  if (state === undefined) {
    state = { slots: tensors.map(() => ({})), scalars: {} };
    viewStates.set(prepared.state, state);
  }
  tensors.forEach((own, k) => {
    Object.assign(state.slots[k] as object, {
      m: view(own.m),
      v: view(own.v),
      buf: view(own.buf),
      prev: view(own.prev),
    });
  });
  return {
    t: prepared.t,
    tensors: prepared.tensors,
    dtypes: prepared.dtypes,
    fresh: prepared.fresh,
    inputs: prepared.inputs.map((input, k) => ({
      ...input,
      param: view((tensors[k] as StepTensors).p),
      grad: view((tensors[k] as StepTensors).g),
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
export function fusedA2SStep(
  engine: Engine<Expr>,
  prepared: PreparedStep<Expr>,
): StepOutcome<Expr> | undefined {
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
  const view = viewOf(prepared, tensors);
  const outputs: tf.Tensor[][] = [];
  const passes: A2SPasses = {
    sums: (step, withDecay) => gradientSums(step, true, withDecay),
    clippedDifferenceSquares,
    write(step, { steps, blend, safe }) {
      // Bounds that prove nothing: every result is computed once without writing, and a non-finite one refuses the step.
      if (!safe) {
        steps.forEach((s, k) => {
          checkA2S(step, k, s, blend);
        });
      }
      steps.forEach((s, k) => {
        const { p, g, m, v, buf } = tensors[k] as StepTensors;
        const attrs = { ...s, ...blend } as unknown as tf.NamedAttrMap;
        outputs.push(tf.engine().runKernel(FUSED_A2S_KERNEL, { p, g, m, v, buf }, attrs) as tf.Tensor[]);
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

const isNonFinite = (error: unknown): boolean =>
  error instanceof NonFiniteGradientError || error instanceof NonFiniteResultError;
