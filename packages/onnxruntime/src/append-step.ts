/**
 * An optimizer's step appended to any ONNX graph that outputs gradients: one run per
 * training step computes the gradients and the optimizer's update together. The step
 * holds the parameters; the optimizer holds the state, so its `t`, diagnostics and
 * checkpoints follow the training.
 */
import {
  dtypeOf,
  type FloatArray,
  type FloatDType,
  firstNonFinite,
  InvalidOptionError,
  isFloatArray,
  type PreparedStep,
  TensorMismatchError,
} from "@a2s/core";
import type { InferenceSession, Tensor } from "onnxruntime-common";
import { CopyPool, type Typed } from "./copy-pool.js";
import { type ElementType, elementTypeOf, GraphBuilder, type Sym } from "./graph-builder.js";
import type { GraphStepper, ProgramCache } from "./graph-stepper.js";
import { type HostValue, ownedValue } from "./host-values.js";
import { type Optimizer, stepperOf } from "./optimizer.js";
import { NO_PINS, type Pins } from "./pins.js";
import type { OnnxRuntime } from "./runtime.js";
import { createSession } from "./session.js";
import { STEP_NAMES } from "./step-names.js";
import { lastStageOutputs, StepProgram, type UnitFeeds } from "./step-program.js";
import { recordStep, type StepRecording, unitLayout } from "./step-recording.js";
import { recordJoin } from "./units.js";

/** What {@link appendOptimizerStep} appends the step to, and how. */
export interface AppendStepOptions {
  /**
   * For each parameter, the name of the model's output that holds its gradient. The
   * parameter is the model's input of the same name (an initializer of that name becomes
   * an input). All parameters share one element type, float32 or float64.
   */
  readonly gradients: Readonly<Record<string, string>>;
  /** The parameters' initial values, by name (copied): the step holds them from then on. */
  readonly parameters: Readonly<Record<string, FloatArray>>;
  /** Shapes for parameters whose input declares no fixed dimensions (default: the declared ones). */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
  /** The model's outputs each run returns (default: every output that is not a gradient). */
  readonly outputs?: readonly string[];
  /** onnxruntime session options for the step's sessions (default: the optimizer's). */
  readonly sessionOptions?: InferenceSession.SessionOptions;
}

/** A value fed to the model: an onnxruntime `Tensor`, or anything with its three fields. */
export interface TensorLike {
  readonly type: string;
  readonly data: ArrayLike<unknown> & ArrayBufferView;
  readonly dims: readonly number[];
}

/** The element type names onnxruntime's `Tensor` uses, by ONNX data type. */
const TENSOR_TYPES: Readonly<Record<number, string>> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
};

/** The first `ai.onnx` opset whose versions of every operator the step records it shares with opset 17. */
const MIN_OPSET = 13;

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** An input a run feeds, with its declared type. */
interface Feed {
  readonly name: string;
  readonly type: string;
  readonly dims: readonly (string | number | undefined)[];
}

/** The inputs of `graph` that `outputs` need, except `parameters`. */
function feedsOf(graph: GraphBuilder, outputs: readonly string[], parameters: readonly string[]): Feed[] {
  return graph
    .inputsFor(outputs)
    .filter((name) => !parameters.includes(name))
    .map((name) => {
      const type = graph.typeOf(name);
      return { name, type: TENSOR_TYPES[type?.dtype ?? 0] ?? "unknown", dims: type?.dims ?? [] };
    });
}

/** A feed as copied at the call. */
interface FeedCopy {
  readonly name: string;
  readonly type: string;
  readonly data: Typed;
  readonly dims: readonly number[];
}

interface Layout {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly dtype: FloatDType;
  readonly gradients: readonly string[];
  /** The model's other inputs: what each run feeds, with their declared types. */
  readonly feeds: readonly Feed[];
  readonly outputs: readonly string[];
}

function readModel(bytes: unknown): GraphBuilder {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidOptionError("model", bytes, "the bytes of an ONNX model (a Uint8Array)");
  }
  let graph: GraphBuilder;
  try {
    graph = GraphBuilder.extend(bytes);
  } catch {
    throw new InvalidOptionError("model", bytes, "the bytes of an ONNX model (they do not decode)");
  }
  if (graph.opset < MIN_OPSET) {
    throw new InvalidOptionError(
      "model",
      `ai.onnx opset ${graph.opset}`,
      `a model importing ai.onnx opset ${MIN_OPSET} or later (convert it with onnx's version converter)`,
    );
  }
  return graph;
}

/** Checks the options against the model; returns the layout every run uses. */
function layoutOf(graph: GraphBuilder, options: AppendStepOptions): Layout {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionError("options", options, "an object with gradients and parameters");
  }
  const { gradients, parameters } = options;
  if (typeof gradients !== "object" || gradients === null || Object.keys(gradients).length === 0) {
    throw new InvalidOptionError("gradients", gradients, "a record of parameter name to gradient output");
  }
  const names = Object.keys(gradients);
  const outputs = graph.outputList();
  let dtype: FloatDType | undefined;
  const shapes = names.map((name) => {
    const gradient = gradients[name];
    if (typeof gradient !== "string" || !outputs.includes(gradient)) {
      throw new InvalidOptionError(
        `gradients.${name}`,
        gradient,
        `an output of the model (${outputs.join(", ")})`,
      );
    }
    const type = graph.typeOf(name);
    const own = type === undefined ? undefined : elementTypeOf(type.dtype);
    if (
      type === undefined ||
      (own !== "float32" && own !== "float64") ||
      graph.typeOf(gradient)?.dtype !== type.dtype
    ) {
      throw new InvalidOptionError(
        `gradients.${name}`,
        gradient,
        "the gradient of a float32 or float64 input or initializer of the model, of its element type",
      );
    }
    dtype ??= own;
    if (own !== dtype) throw new TensorMismatchError(name, "dtype", dtype, own, "parameter");
    const given = options.shapes?.[name];
    const declared = type.dims.every((d) => typeof d === "number") ? (type.dims as number[]) : undefined;
    const shape = given ?? declared;
    const gradientDims = graph.typeOf(gradient)?.dims ?? [];
    const fits = (dims: readonly unknown[]) =>
      shape === undefined ||
      (dims.length === shape.length && dims.every((d, k) => typeof d !== "number" || d === shape[k]));
    if (!fits(gradientDims)) {
      throw new InvalidOptionError(
        `gradients.${name}`,
        gradient,
        `an output of the parameter's shape [${shape}] (it is [${gradientDims.map((d) => d ?? "?")}])`,
      );
    }
    if (shape === undefined || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new InvalidOptionError(
        `shapes.${name}`,
        given,
        "an array of integers >= 0 (the input has no fixed dimensions)",
      );
    }
    return [...shape];
  });
  checkParameters(names, shapes, dtype as FloatDType, parameters);
  const kept = options.outputs ?? outputs.filter((name) => !Object.values(gradients).includes(name));
  for (const name of kept) {
    if (!outputs.includes(name))
      throw new InvalidOptionError("outputs", name, `outputs of the model (${outputs.join(", ")})`);
  }
  const feeds = feedsOf(graph, outputs, names);
  return {
    names,
    shapes,
    dtype: dtype as FloatDType,
    gradients: names.map((n) => gradients[n] as string),
    feeds,
    outputs: kept,
  };
}

/** Checks parameters given for the layout: every name, its dtype, its length, finite values. */
export function checkParameters(
  names: readonly string[],
  shapes: readonly (readonly number[])[],
  dtype: FloatDType,
  parameters: unknown,
): void {
  if (typeof parameters !== "object" || parameters === null) {
    throw new TensorMismatchError("(all)", "type", "a record of float arrays", parameters, "parameter");
  }
  const given = parameters as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!names.includes(name)) throw new TensorMismatchError(name, "unexpected", names, name, "parameter");
  }
  names.forEach((name, i) => {
    const value = given[name];
    if (!Object.hasOwn(given, name)) {
      throw new TensorMismatchError(name, "missing", `the model's parameter ${name}`, undefined, "parameter");
    }
    if (!isFloatArray(value))
      throw new TensorMismatchError(name, "type", `a ${dtype} array`, value, "parameter");
    if (dtypeOf(value) !== dtype)
      throw new TensorMismatchError(name, "dtype", dtype, dtypeOf(value), "parameter");
    const size = sizeOf(shapes[i] as number[]);
    if (value.length !== size) throw new TensorMismatchError(name, "length", size, value.length, "parameter");
    const bad = firstNonFinite([value]);
    if (bad !== undefined) {
      throw new TensorMismatchError(
        name,
        "type",
        "finite values",
        `${bad.value} at index ${bad.index}`,
        "parameter",
      );
    }
  });
}

/**
 * A model with an optimizer's step appended, holding the parameters; made by
 * {@link appendOptimizerStep}. Every call runs after the calls made before it on the
 * same optimizer.
 */
export class FusedStep {
  readonly #stepper: GraphStepper;
  readonly #model: Uint8Array;
  readonly #layout: Layout;
  readonly #sessionOptions: InferenceSession.SessionOptions | undefined;
  readonly #params: HostValue[];
  readonly #program: ProgramCache;
  readonly #copies = new CopyPool();
  /** Sessions of the models {@link infer} ran, by their bytes. */
  readonly #others = new Map<Uint8Array, { feeds: Feed[]; session: Promise<InferenceSession> }>();

  /** @internal Use {@link appendOptimizerStep}. */
  constructor(stepper: GraphStepper, model: Uint8Array, layout: Layout, options: AppendStepOptions) {
    this.#stepper = stepper;
    this.#model = model;
    this.#layout = layout;
    this.#sessionOptions = options.sessionOptions ?? stepper.sessionOptions;
    this.#params = layout.names.map((name, i) =>
      ownedValue((options.parameters[name] as FloatArray).slice(), layout.shapes[i] as number[]),
    );
    this.#program = stepper.cache();
  }

  /** The names of the inputs each {@link run} feeds (the model's inputs that are not parameters). */
  get inputs(): readonly string[] {
    return this.#layout.feeds.map((feed) => feed.name);
  }

  /** The parameters after the last finished step, as copies. */
  parameters(): Record<string, FloatArray> {
    return Object.fromEntries(
      this.#layout.names.map((name, i) => [name, (this.#params[i] as HostValue).array.slice()]),
    );
  }

  /**
   * Replaces the parameters (copied at the call) after every call made before it; the
   * optimizer's state is kept.
   *
   * @throws TensorMismatchError a missing or extra name, another dtype or length, a
   * value that is not finite.
   */
  setParameters(params: Readonly<Record<string, FloatArray>>): Promise<void> {
    const { names, shapes, dtype } = this.#layout;
    try {
      checkParameters(names, shapes, dtype, params);
    } catch (error) {
      return Promise.reject(error);
    }
    const copies = names.map((name) => (params[name] as FloatArray).slice());
    return this.#stepper.enqueue(() => {
      copies.forEach((copy, i) => {
        (this.#params[i] as HostValue).array = copy;
      });
    });
  }

  /**
   * One training step: runs the model on `feeds` (copied at the call) and the optimizer's
   * step on its gradients, updates the parameters and the optimizer's state, and returns
   * the model's other outputs (e.g. the loss).
   *
   * @throws TensorMismatchError a missing, extra or malformed feed.
   * @throws NonFiniteGradientError, NonFiniteResultError, InvalidOptionError as `update`.
   */
  run(feeds: Readonly<Record<string, TensorLike>>): Promise<Record<string, Tensor>> {
    let copies: FeedCopy[];
    try {
      copies = this.#checkFeeds(feeds);
    } catch (error) {
      return Promise.reject(error);
    }
    const step = this.#stepper.enqueue(async () => {
      const run = await this.#stepper.step(
        this.#inputs(),
        (prepared, runtime) => this.#program.get(prepared, () => this.#record(prepared, runtime)),
        (program, prepared) => {
          const all: Record<string, Tensor> = {};
          for (const input of prepared.inputs) all[input.name] = program.tensor(input.param);
          for (const copy of copies) all[copy.name] = program.wrap(copy.type, copy.data, copy.dims);
          return all;
        },
      );
      // Copies: an output may land in a buffer the next step writes again.
      return Object.fromEntries(
        this.#layout.outputs.map((name) => {
          const tensor = run.outputs[name] as Tensor;
          const data = (tensor.data as unknown as { slice(): Float32Array }).slice();
          return [
            name,
            new (tensor.constructor as typeof Tensor)(tensor.type as "float32", data, tensor.dims),
          ];
        }),
      );
    });
    return step.finally(() => this.#giveBack(copies));
  }

  #giveBack(copies: readonly FeedCopy[]): void {
    for (const copy of copies) this.#copies.give([copy.data]);
  }

  #checkFeeds(feeds: unknown, expected: readonly Feed[] = this.#layout.feeds): FeedCopy[] {
    if (typeof feeds !== "object" || feeds === null) {
      throw new TensorMismatchError("(all)", "type", "a record of tensors", feeds, "input");
    }
    const given = feeds as Record<string, TensorLike>;
    for (const name of Object.keys(given)) {
      if (!expected.some((feed) => feed.name === name)) {
        throw new TensorMismatchError(
          name,
          "unexpected",
          expected.map((feed) => feed.name),
          name,
          "input",
        );
      }
    }
    return expected.map(({ name, type, dims }) => {
      const value = given[name];
      if (value === undefined)
        throw new TensorMismatchError(name, "missing", `the model's input ${name}`, undefined, "input");
      if (
        value.type !== type ||
        !ArrayBuffer.isView(value.data) ||
        value.data instanceof DataView ||
        !Array.isArray(value.dims)
      ) {
        throw new TensorMismatchError(name, "type", `a ${type} tensor`, value, "input");
      }
      const fits =
        value.dims.length === dims.length &&
        value.dims.every(
          (d, k) => Number.isSafeInteger(d) && d >= 0 && (typeof dims[k] !== "number" || dims[k] === d),
        );
      if (!fits || sizeOf(value.dims) !== value.data.length) {
        throw new TensorMismatchError(
          name,
          "length",
          `dims [${dims.map((d) => d ?? "?")}]`,
          `[${value.dims}] holding ${value.data.length}`,
          "input",
        );
      }
      const [data] = this.#copies.copy([value.data as unknown as Typed]);
      return { name, type, data: data as Typed, dims: [...value.dims] };
    });
  }

  /**
   * The model with the step appended, as ONNX bytes, for the optimizer's next step (its
   * options, tensors and dtype): what one {@link run} executes when the optimizer has no
   * `allReduce` (with one, the run is split at each global sum).
   */
  model(): Uint8Array {
    const { recording } = this.#recordFor(this.#stepper.engine.prepare(this.#inputs()), NO_PINS);
    return recording.graph.toBytes(
      "model with an optimizer step",
      lastStageOutputs(recording, this.#layout.outputs),
    );
  }

  #inputs() {
    return this.#layout.names.map((name, i) => {
      const param = this.#params[i] as HostValue;
      return { name, shape: param.shape, dtype: this.#layout.dtype, param, grad: param };
    });
  }

  #record(prepared: PreparedStep<HostValue>, runtime: OnnxRuntime): StepProgram {
    const { feeds } = this.#recordFor(prepared, NO_PINS);
    return new StepProgram(
      (pins) => this.#recordFor(prepared, pins).recording,
      prepared.tensors,
      runtime,
      this.#sessionOptions,
      feeds,
      this.#layout.outputs,
    );
  }

  /**
   * The model with the step appended. A unit of one tensor uses the model's own input;
   * a unit of several takes their values, one after the other, as an input of its own,
   * fed from the same memory as the model's inputs.
   */
  #recordFor(
    prepared: PreparedStep<HostValue>,
    pins: Pins,
  ): { recording: StepRecording; feeds: UnitFeeds[] } {
    const graph = GraphBuilder.extend(this.#model);
    graph.nodePrefix = STEP_NAMES.node("");
    const dtype = prepared.dtypes[0] as FloatDType;
    const shapes = prepared.tensors.map((info) => info.shape);
    const layout = unitLayout(this.#stepper.engine.algorithm, prepared.tensors, shapes);
    const params = prepared.tensors.map((info) =>
      graph.isInput(info.name) ? { name: info.name, dtype } : graph.promoteToInput(info.name),
    );
    const grads = prepared.tensors.map((info) => {
      const name = this.#layout.gradients[this.#layout.names.indexOf(info.name)] as string;
      // A gradient the caller does not fetch stops being an output, so that a slot may
      // take it over (A2S's previous gradient) without a copy.
      if (!this.#layout.outputs.includes(name)) graph.dropOutput(name);
      return { name, dtype: dtype as ElementType };
    });
    const feeds: UnitFeeds[] = layout.units.map((unit, u) =>
      unit.length === 1 ? {} : { param: STEP_NAMES.param(layout.names[u] as string) },
    );
    const recording = recordStep({
      graph,
      algorithm: this.#stepper.engine.algorithm,
      tensors: prepared.tensors,
      dtype,
      layout,
      t: prepared.t,
      params: layout.units.map((unit, u) => {
        const param = feeds[u]?.param;
        return param === undefined
          ? (params[unit[0] as number] as Sym)
          : graph.input(param, dtype, layout.shapes[u] as number[]);
      }),
      grads: layout.units.map((unit) => recordJoin(graph, unit, grads, shapes)),
      sharded: this.#stepper.engine.allReduce !== undefined,
      pins,
    });
    return { recording, feeds };
  }

  /**
   * Runs another model that takes some of the parameters as inputs (an evaluation graph,
   * a forward pass) on the parameters of the moment, after every call made before it;
   * `feeds` (copied at the call) are its other inputs. Returns all its outputs.
   *
   * @throws InvalidOptionError bytes that are no ONNX model.
   * @throws TensorMismatchError a missing, extra or malformed feed.
   */
  infer(model: Uint8Array, feeds: Readonly<Record<string, TensorLike>>): Promise<Record<string, Tensor>> {
    let copies: FeedCopy[];
    let other: { feeds: Feed[]; session: Promise<InferenceSession> } | undefined;
    try {
      other = this.#others.get(model);
      const expected =
        other?.feeds ??
        (() => {
          const graph = readModel(model);
          return feedsOf(graph, graph.outputList(), this.#layout.names);
        })();
      copies = this.#checkFeeds(feeds, expected);
      if (other === undefined) {
        const runtime = this.#stepper.runtime();
        other = {
          feeds: expected,
          session: runtime.then((r) => createSession(r, model, this.#sessionOptions)),
        };
        this.#others.set(model, other);
        const made = other;
        made.session.catch(() => {
          if (this.#others.get(model) === made) this.#others.delete(model);
        });
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const { session } = other;
    const step = this.#stepper.enqueue(async () => {
      const ready = await session;
      const runtime = await this.#stepper.runtime();
      const all: Record<string, Tensor> = {};
      this.#layout.names.forEach((name, i) => {
        if (!ready.inputNames.includes(name)) return;
        const param = this.#params[i] as HostValue;
        all[name] = new runtime.Tensor(this.#layout.dtype, param.array, param.shape);
      });
      for (const copy of copies) {
        all[copy.name] = new runtime.Tensor(copy.type as "float32", copy.data as Float32Array, copy.dims);
      }
      return ready.run(all);
    });
    return step.finally(() => this.#giveBack(copies));
  }

  /** Releases this step's sessions (the optimizer and its state stay). */
  dispose(): Promise<void> {
    const others = [...this.#others.values()];
    this.#others.clear();
    return this.#stepper.enqueue(async () => {
      await this.#stepper.forget(this.#program);
      await Promise.all(others.map(async (other) => (await other.session.catch(() => undefined))?.release()));
    });
  }
}

/**
 * Appends `optimizer`'s step to `model`, an ONNX model that takes the parameters as
 * inputs and outputs their gradients: each {@link FusedStep.run} then computes the
 * gradients and the update in one onnxruntime run. The graph's added inputs and outputs
 * are named as {@link STEP_NAMES} says (the parameters keep the model's names, their new
 * values are `new/<name>`).
 *
 * @throws InvalidOptionError bytes that are no ONNX model, an opset before 13, a gradient
 * that is no output of the model, bad shapes or outputs.
 * @throws TensorMismatchError parameters that do not fit the model.
 */
export function appendOptimizerStep(
  model: Uint8Array,
  optimizer: Optimizer,
  options: AppendStepOptions,
): FusedStep {
  const stepper = stepperOf(optimizer);
  if (stepper === undefined) {
    throw new InvalidOptionError(
      "optimizer",
      optimizer,
      "an optimizer of @a2s/onnxruntime (A2S, Adam, RMSProp, SGDMomentum or Optimizer)",
    );
  }
  const graph = readModel(model);
  const layout = layoutOf(graph, options);
  return new FusedStep(stepper, Uint8Array.from(model), layout, options);
}
