/**
 * A recorded step made runnable: its sessions (one per stage of a sharded step, made on
 * first use), the buffers its outputs land in, and one step's run: feed the state and
 * the host values, run the stages with the global sums in between, check that gradients
 * and results are finite, and return the new values for the engine to commit.
 *
 * The state of the tensors of one unit lives in one buffer, each tensor's slot a view of
 * it, so that the unit is fed and written as one tensor without copies. State made or
 * loaded elsewhere is moved into such a buffer before its first run here (same values).
 */
import {
  allocateLike,
  type Engine,
  type FloatArray,
  type FloatDType,
  firstNonFinite,
  NonFiniteGradientError,
  NonFiniteResultError,
  type PreparedStep,
  type StepOutcome,
  type TensorInfo,
} from "@a2s/core";
import type { InferenceSession, Tensor } from "onnxruntime-common";
import { elementTypeOf } from "./graph-builder.js";
import { type HostValue, ownedValue, zeroValue } from "./host-values.js";
import { type OnnxRuntime, writesIntoGivenOutputs } from "./runtime.js";
import { createSession } from "./session.js";
import type { StepRecording } from "./step-recording.js";

/** One graph to run: the outputs it gives and the inputs it needs. */
interface Stage {
  readonly outputs: readonly string[];
  readonly inputs: readonly string[];
  session?: Promise<InferenceSession>;
  /** The last stage's fetches, kept from step to step (only the tensors change). */
  fetches?: Record<string, Tensor | null>;
}

/** What one run gives back: the outcome to commit and the caller's own outputs. */
export interface StepRun {
  readonly outcome: StepOutcome<HostValue>;
  readonly outputs: Readonly<Record<string, Tensor>>;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const finite = (value: Tensor | undefined) => {
  const x = value?.data[0] as number;
  return x - x === 0;
};

/** The outputs of a step's last run: new values, published values, checks, the caller's own. */
export function lastStageOutputs(recording: StepRecording, extraOutputs: readonly string[]): string[] {
  return [
    ...recording.paramOutputs,
    ...recording.slotOutputs.flat(),
    ...recording.scalarOutputs,
    ...recording.published.flatMap((p) => (p.output === undefined ? [] : [p.output])),
    recording.check,
    ...extraOutputs,
  ];
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Whether `views` lie one after the other in one buffer, in order. */
function contiguous(views: readonly FloatArray[]): boolean {
  const first = views[0] as FloatArray;
  let offset = first.byteOffset;
  for (const view of views) {
    if (view.buffer !== first.buffer || view.byteOffset !== offset) return false;
    offset += view.byteLength;
  }
  return true;
}

/** The inputs a program feeds with a unit's parameters and gradients (none: the caller does). */
export interface UnitFeeds {
  readonly param?: string;
  readonly grad?: string;
}

/** Points each value at its part of `whole` (the parts in order). */
function spread(values: readonly HostValue[], whole: FloatArray): void {
  let offset = 0;
  for (const value of values) {
    const length = value.array.length;
    value.array = whole.subarray(offset, offset + length);
    offset += length;
  }
}

export class StepProgram {
  readonly #recording: StepRecording;
  readonly #tensors: readonly TensorInfo[];
  readonly #runtime: OnnxRuntime;
  readonly #options: InferenceSession.SessionOptions | undefined;
  readonly #stages: Stage[];
  readonly #diagnosis: Stage;
  readonly #prebind: boolean;
  readonly #feeds: readonly UnitFeeds[];
  /** Where new parameters land: per unit, one view per tensor of one buffer. */
  readonly #params: HostValue[][];
  /** Where new slots land: per unit, per slot, one view per tensor of one buffer. */
  readonly #slots: HostValue[][][];
  /** Per unit, a buffer to gather parameters or gradients that lie apart (the caller's own). */
  readonly #gathered = new Map<string, FloatArray>();
  readonly #scalars: HostValue[];
  /** Where published values, checks and the caller's fixed-shape outputs land, by output name. */
  readonly #small: Map<string, HostValue>;
  readonly #wrapped = new WeakMap<FloatArray, Tensor>();
  readonly #wrappedFeeds = new WeakMap<ArrayBufferView, Tensor>();
  /** Rank-0 feeds (host values, totals), by input name: one buffer each, refilled every step. */
  readonly #scalarFeeds = new Map<string, Tensor>();

  constructor(
    recording: StepRecording,
    tensors: readonly TensorInfo[],
    runtime: OnnxRuntime,
    options: InferenceSession.SessionOptions | undefined,
    /** Per unit, the inputs this program feeds with the unit's parameters and gradients. */
    feeds: readonly UnitFeeds[],
    /** Outputs of the caller's own model to fetch from the last stage (e.g. a loss). */
    extraOutputs: readonly string[] = [],
  ) {
    this.#feeds = feeds;
    this.#recording = recording;
    this.#tensors = tensors;
    this.#runtime = runtime;
    this.#options = options;
    this.#prebind = writesIntoGivenOutputs(runtime);
    const { graph, reductions, dtype } = recording;
    const stage = (outputs: string[]): Stage => ({ outputs, inputs: graph.inputsFor(outputs) });
    this.#stages = [
      ...reductions.map((r, k) =>
        stage(
          k === 0 && recording.gradientCheck ? [...r.partials, recording.gradientCheck] : [...r.partials],
        ),
      ),
      stage(lastStageOutputs(recording, extraOutputs)),
    ];
    this.#diagnosis = stage([...recording.gradientOutputs]);
    const { units } = recording.layout;
    const unitBuffer = (u: number) => {
      const views = (units[u] as number[]).map((i) => zeroValue(dtype, (tensors[i] as TensorInfo).shape));
      spread(views, allocateLike(dtype, sizeOf(recording.layout.shapes[u] as number[])));
      return views;
    };
    this.#params = units.map((_, u) => unitBuffer(u));
    this.#slots = units.map((_, u) => (recording.slotOutputs[u] ?? []).map(() => unitBuffer(u)));
    this.#scalars = recording.scalarOutputs.map(() => zeroValue(dtype, []));
    this.#small = new Map(
      [
        recording.check,
        ...(recording.gradientCheck ? [recording.gradientCheck] : []),
        ...recording.published.flatMap((p) => (p.output === undefined ? [] : [p.output])),
      ].map((name) => [name, zeroValue(dtype, [])]),
    );
    // The caller's outputs of a fixed float shape (a loss) land in buffers of their own too.
    for (const name of extraOutputs) {
      const type = graph.typeOf(name);
      const own = elementTypeOf(type?.dtype);
      const dims = type?.dims;
      if ((own === "float32" || own === "float64") && dims?.every((d) => typeof d === "number")) {
        this.#small.set(name, zeroValue(own, dims as number[]));
      }
    }
  }

  #session(stage: Stage, index: number): Promise<InferenceSession> {
    if (stage.session === undefined) {
      const bytes = this.#recording.graph.toBytes(`optimizer step, stage ${index}`, stage.outputs);
      const session = createSession(this.#runtime, bytes, this.#options);
      stage.session = session;
      // A failed creation is tried again on the next step rather than kept.
      session.catch(() => {
        if (stage.session === session) stage.session = undefined;
      });
    }
    return stage.session;
  }

  /** The runtime's tensor over `array`, of `dims` and as many elements (made once per array). */
  #tensorOver(array: FloatArray, dims: readonly number[]): Tensor {
    let tensor = this.#wrapped.get(array);
    if (tensor === undefined || !sameDims(tensor.dims, dims)) {
      const whole =
        array.length === sizeOf(dims)
          ? array
          : new (array.constructor as Float32ArrayConstructor)(array.buffer, array.byteOffset, sizeOf(dims));
      tensor = new this.#runtime.Tensor(array instanceof Float64Array ? "float64" : "float32", whole, dims);
      this.#wrapped.set(array, tensor);
    }
    return tensor;
  }

  /** The runtime's tensor over a parameter (or any value in its own shape). */
  tensor(value: HostValue, dims: readonly number[] = value.shape): Tensor {
    return this.#tensorOver(value.array, dims);
  }

  /** The runtime's tensor of any type over `data`. */
  wrap(type: string, data: ArrayBufferView, dims: readonly number[]): Tensor {
    // Feeds are copied into buffers used again step after step: their tensors are kept too.
    const known = this.#wrappedFeeds.get(data);
    if (known !== undefined && known.type === type && sameDims(known.dims, dims)) return known;
    const tensor = new this.#runtime.Tensor(type as "float32", data as Float32Array, dims);
    this.#wrappedFeeds.set(data, tensor);
    return tensor;
  }

  #scalar(name: string, x: number): Tensor {
    let tensor = this.#scalarFeeds.get(name);
    if (tensor === undefined) {
      const dtype: FloatDType = this.#recording.dtype;
      tensor = new this.#runtime.Tensor(dtype, allocateLike(dtype, 1), []);
      this.#scalarFeeds.set(name, tensor);
    }
    (tensor.data as FloatArray)[0] = x;
    return tensor;
  }

  /**
   * A unit's values as one tensor. Values that lie apart are moved into one buffer when
   * `move` allows and they are this package's own (same values, new place: the state),
   * else gathered into a buffer of the program's (a caller's parameters, gradients).
   */
  #unitTensor(values: readonly HostValue[], u: number, role: string, move: boolean): Tensor {
    const dims = this.#recording.layout.shapes[u] as number[];
    const arrays = values.map((value) => value.array);
    if (!contiguous(arrays)) {
      const owned = move && values.every((value) => value.owned);
      const key = `${role}:${u}`;
      let whole = owned ? undefined : this.#gathered.get(key);
      if (whole === undefined) {
        whole = allocateLike(this.#recording.dtype, sizeOf(dims));
        if (!owned) this.#gathered.set(key, whole);
      }
      let offset = 0;
      for (const array of arrays) {
        whole.set(array, offset);
        offset += array.length;
      }
      if (!owned) return this.#tensorOver(whole, dims);
      spread(values, whole);
    }
    return this.#tensorOver((values[0] as HostValue).array, dims);
  }

  /**
   * Runs one checked step. `feeds` holds the caller's inputs (parameters, gradients or
   * the model's own inputs); this adds the state, the host values and the totals.
   *
   * @throws InvalidOptionError a schedule that leaves its range at this step.
   * @throws NonFiniteGradientError, NonFiniteResultError; InvalidCallError from `allReduce`.
   */
  async run(
    engine: Engine<HostValue>,
    prepared: PreparedStep<HostValue>,
    feeds: Record<string, Tensor>,
  ): Promise<StepRun> {
    const recording = this.#recording;
    const slotNames = engine.algorithm.slots.map(([slot]) => slot);
    const scalarNames = engine.algorithm.scalars.map(([name]) => name);
    // Host values first: a schedule out of range is refused before anything runs.
    const hostValues = recording.host.map((h) => h.value(prepared.t));
    hostValues.forEach((x, k) => {
      const { input } = recording.host[k] as { input: string };
      feeds[input] = this.#scalar(input, x);
    });
    recording.layout.units.forEach((unit, u) => {
      slotNames.forEach((slot, s) => {
        const values = unit.map((i) => prepared.state.slots[i]?.[slot] as HostValue);
        feeds[recording.slotInputs[u]?.[s] as string] = this.#unitTensor(values, u, slot, true);
      });
      const { param, grad } = this.#feeds[u] ?? {};
      if (param !== undefined) {
        feeds[param] = this.#unitTensor(
          unit.map((i) => prepared.inputs[i]?.param as HostValue),
          u,
          "param",
          true,
        );
      }
      if (grad !== undefined) {
        feeds[grad] = this.#unitTensor(
          unit.map((i) => prepared.inputs[i]?.grad as HostValue),
          u,
          "grad",
          false,
        );
      }
    });
    recording.scalarInputs.forEach((name, k) => {
      feeds[name] = this.tensor(prepared.state.scalars[scalarNames[k] as string] as HostValue);
    });
    const pick = (stage: Stage) => {
      const picked: Record<string, Tensor> = {};
      for (const name of stage.inputs) picked[name] = feeds[name] as Tensor;
      return picked;
    };

    for (const [k, reduction] of recording.reductions.entries()) {
      const stage = this.#stages[k] as Stage;
      const out = await (await this.#session(stage, k)).run(pick(stage));
      if (k === 0 && !finite(out[recording.gradientCheck as string])) {
        await this.#diagnoseGradients(prepared, feeds);
      }
      const local = Float64Array.from(reduction.partials, (name) => (out[name] as Tensor).data[0] as number);
      const totals = await engine.reduceOnHost(local);
      reduction.totals.forEach((name, j) => {
        feeds[name] = this.#scalar(name, totals[j] as number);
      });
    }

    const index = this.#stages.length - 1;
    const last = this.#stages[index] as Stage;
    last.fetches ??= Object.fromEntries(last.outputs.map((name) => [name, null]));
    const { fetches } = last;
    if (this.#prebind) {
      const unitOf = (views: readonly HostValue[], u: number) =>
        this.#tensorOver((views[0] as HostValue).array, recording.layout.shapes[u] as number[]);
      recording.paramOutputs.forEach((name, u) => {
        fetches[name] = unitOf(this.#params[u] as HostValue[], u);
      });
      recording.slotOutputs.forEach((names, u) => {
        names.forEach((name, s) => {
          fetches[name] = unitOf(this.#slots[u]?.[s] as HostValue[], u);
        });
      });
      recording.scalarOutputs.forEach((name, k) => {
        fetches[name] = this.tensor(this.#scalars[k] as HostValue);
      });
      for (const [name, value] of this.#small) if (name in fetches) fetches[name] = this.tensor(value);
    }
    const out = await (await this.#session(last, index)).run(pick(last), fetches);
    if (!this.#prebind) {
      recording.paramOutputs.forEach((name, u) => {
        spread(this.#params[u] as HostValue[], (out[name] as Tensor).data as FloatArray);
      });
      recording.slotOutputs.forEach((names, u) => {
        names.forEach((name, s) => {
          spread(this.#slots[u]?.[s] as HostValue[], (out[name] as Tensor).data as FloatArray);
        });
      });
      recording.scalarOutputs.forEach((name, k) => {
        (this.#scalars[k] as HostValue).array = (out[name] as Tensor).data as FloatArray;
      });
    }
    if (!finite(out[recording.check])) {
      if (recording.gradientCheck === undefined) await this.#diagnoseGradients(prepared, feeds);
      this.#diagnoseResults(engine, prepared);
    }

    const published = new Map<string, HostValue>();
    const exact = new Map<string, number>();
    for (const value of recording.published) {
      const known = value.host === undefined ? value.constant : hostValues[value.host];
      if (known !== undefined) {
        exact.set(value.name, known);
        published.set(value.name, ownedValue(Float64Array.of(known), []));
      } else {
        published.set(value.name, ownedValue((out[value.output as string] as Tensor).data as FloatArray, []));
      }
    }
    const params: HostValue[] = new Array(this.#tensors.length);
    const slots = this.#tensors.map((): Record<string, HostValue> => ({}));
    recording.layout.units.forEach((unit, u) => {
      unit.forEach((i, k) => {
        params[i] = this.#params[u]?.[k] as HostValue;
        slotNames.forEach((slot, s) => {
          (slots[i] as Record<string, HostValue>)[slot] = this.#slots[u]?.[s]?.[k] as HostValue;
        });
      });
    });
    return {
      outcome: {
        params,
        slots,
        scalars: Object.fromEntries(this.#scalars.map((value, k) => [scalarNames[k], value])),
        published,
        exact,
      },
      outputs: out,
    };
  }

  /**
   * A gradient check came out non-finite: fetches the gradients and names the first
   * non-finite element. Returns when there is none (the check's sum overflowed).
   */
  async #diagnoseGradients(prepared: PreparedStep<HostValue>, feeds: Record<string, Tensor>): Promise<void> {
    const stage = this.#diagnosis;
    const out = await (await this.#session(stage, -1)).run(
      Object.fromEntries(stage.inputs.map((name) => [name, feeds[name] as Tensor])),
    );
    const grads = this.#recording.gradientOutputs.map((name) => (out[name] as Tensor).data as FloatArray);
    const bad = firstNonFinite(grads);
    if (bad === undefined) return;
    // From the unit's element to its tensor's.
    let index = bad.index;
    for (const i of this.#recording.layout.units[bad.which] as number[]) {
      const { size, name } = prepared.tensors[i] as TensorInfo;
      if (index < size) throw new NonFiniteGradientError(name, index, bad.value);
      index -= size;
    }
  }

  /** The result check came out non-finite: names the first non-finite result, if any. */
  #diagnoseResults(engine: Engine<HostValue>, prepared: PreparedStep<HostValue>): void {
    const labels: [string, string][] = [];
    const arrays: FloatArray[] = [];
    const slotOf = new Map<number, HostValue[]>();
    const paramOf = new Map<number, HostValue>();
    this.#recording.layout.units.forEach((unit, u) => {
      unit.forEach((i, k) => {
        paramOf.set(i, this.#params[u]?.[k] as HostValue);
        slotOf.set(
          i,
          (this.#slots[u] ?? []).map((views) => views[k] as HostValue),
        );
      });
    });
    prepared.tensors.forEach((info, i) => {
      labels.push([info.name, "param"]);
      arrays.push((paramOf.get(i) as HostValue).array);
      engine.algorithm.slots.forEach(([slot], s) => {
        labels.push([info.name, slot]);
        arrays.push((slotOf.get(i)?.[s] as HostValue).array);
      });
    });
    engine.algorithm.scalars.forEach(([name], k) => {
      labels.push(["(optimizer)", name]);
      arrays.push((this.#scalars[k] as HostValue).array);
    });
    const bad = firstNonFinite(arrays);
    if (bad !== undefined) {
      const [tensor, slot] = labels[bad.which] as [string, string];
      throw new NonFiniteResultError(tensor, slot, bad.index, bad.value);
    }
  }

  /** Releases the sessions made so far. */
  async release(): Promise<void> {
    const sessions = [...this.#stages, this.#diagnosis].map((stage) => stage.session);
    for (const stage of [...this.#stages, this.#diagnosis]) stage.session = undefined;
    await Promise.all(
      sessions.map(async (session) => {
        if (session === undefined) return;
        await (await session.catch(() => undefined))?.release();
      }),
    );
  }
}
