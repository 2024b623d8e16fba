/**
 * A recorded step made runnable: its sessions (one per stage of a sharded step, made on
 * first use), the buffers its outputs land in, and one step's run: feed the state and
 * the host values, run the stages with the global sums in between, check that gradients
 * and results are finite, and return the new values for the engine to commit.
 *
 * One program serves one algorithm on one set of tensors. It holds a recording per set of
 * pinned host values (see pins.ts) and runs, at each step, the one whose pins hold; they
 * share the buffers.
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
import { NO_PINS, PinChooser, type Pins, pinKey } from "./pins.js";
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

/** One recording of the step and its sessions. */
interface Variant {
  readonly recording: StepRecording;
  readonly stages: Stage[];
  readonly diagnosis: Stage;
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
    ...recording.published.map((p) => p.output),
    recording.check,
    ...extraOutputs,
  ].filter((name): name is string => name !== undefined);
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

/** `length` elements of `first`'s buffer from where `first` starts (a unit's views, as one array). */
function wholeOf(first: FloatArray, length: number): FloatArray {
  if (first.length === length) return first;
  return new (first.constructor as Float32ArrayConstructor)(first.buffer, first.byteOffset, length);
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
  readonly #record: (pins: Pins) => StepRecording;
  readonly #tensors: readonly TensorInfo[];
  readonly #runtime: OnnxRuntime;
  readonly #options: InferenceSession.SessionOptions | undefined;
  readonly #extraOutputs: readonly string[];
  readonly #prebind: boolean;
  readonly #feeds: readonly UnitFeeds[];
  /** The recording with nothing pinned: its host values, layout and dtype are every variant's. */
  readonly #generic: StepRecording;
  readonly #chooser: PinChooser;
  /**
   * The variant in use. Pins change in one direction as training goes on (a blend weight
   * leaves 1, reaches 0), so the one before is released rather than kept: a session holds
   * its buffers.
   */
  #variant: Variant;
  #pins: Pins = NO_PINS;
  /** Where new parameters land: per unit, one view per tensor of one buffer. */
  readonly #params: HostValue[][];
  /** Where new slots land: per unit, per slot, one view per tensor of one buffer. */
  readonly #slots: HostValue[][][];
  /** Per unit, a buffer to gather parameters or gradients that lie apart (the caller's own). */
  readonly #gathered = new Map<string, FloatArray>();
  readonly #scalars: HostValue[];
  /** Where published values, checks and the caller's fixed-shape outputs land, by output name. */
  readonly #small = new Map<string, HostValue>();
  readonly #wrapped = new WeakMap<FloatArray, Tensor>();
  readonly #wrappedFeeds = new WeakMap<ArrayBufferView, Tensor>();
  /** Rank-0 feeds (host values, totals), by input name: one buffer each, refilled every step. */
  readonly #scalarFeeds = new Map<string, Tensor>();

  constructor(
    /** Records the step with the given host values pinned. */
    record: (pins: Pins) => StepRecording,
    tensors: readonly TensorInfo[],
    runtime: OnnxRuntime,
    options: InferenceSession.SessionOptions | undefined,
    /** Per unit, the inputs this program feeds with the unit's parameters and gradients. */
    feeds: readonly UnitFeeds[],
    /** Outputs of the caller's own model to fetch from the last stage (e.g. a loss). */
    extraOutputs: readonly string[] = [],
  ) {
    this.#record = record;
    this.#feeds = feeds;
    this.#tensors = tensors;
    this.#runtime = runtime;
    this.#options = options;
    this.#extraOutputs = extraOutputs;
    this.#prebind = writesIntoGivenOutputs(runtime);
    const generic = record(NO_PINS);
    this.#generic = generic;
    this.#variant = this.#variantOf(generic);
    this.#chooser = new PinChooser(generic.host, generic.dtype, (pins) => record(pins).work);
    const { dtype, layout, graph } = generic;
    const unitBuffer = (u: number) => {
      const views = (layout.units[u] as number[]).map((i) =>
        zeroValue(dtype, (tensors[i] as TensorInfo).shape),
      );
      spread(views, allocateLike(dtype, sizeOf(layout.shapes[u] as number[])));
      return views;
    };
    this.#params = layout.units.map((_, u) => unitBuffer(u));
    this.#slots = layout.units.map((_, u) => (generic.slotInputs[u] ?? []).map(() => unitBuffer(u)));
    this.#scalars = generic.scalarInputs.map(() => zeroValue(dtype, []));
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

  #variantOf(recording: StepRecording): Variant {
    const { graph, reductions } = recording;
    const stage = (outputs: string[]): Stage => ({ outputs, inputs: graph.inputsFor(outputs) });
    return {
      recording,
      stages: [
        ...reductions.map((r, k) =>
          stage(
            k === 0 && recording.gradientCheck ? [...r.partials, recording.gradientCheck] : [...r.partials],
          ),
        ),
        stage(lastStageOutputs(recording, this.#extraOutputs)),
      ],
      diagnosis: stage([...recording.gradientOutputs]),
    };
  }

  /** The variant whose pins hold at step `t`: the one in use, or a new recording. */
  #select(t: number, values: readonly number[]): Variant {
    const pins = this.#chooser.choose(t, values, this.#pins);
    if (pins !== this.#pins) {
      const old = this.#variant;
      this.#variant = this.#variantOf(pinKey(pins) === "" ? this.#generic : this.#record(pins));
      this.#pins = pins;
      void releaseStages(old);
    }
    return this.#variant;
  }

  #session(recording: StepRecording, stage: Stage, index: number): Promise<InferenceSession> {
    if (stage.session === undefined) {
      const bytes = recording.graph.toBytes(`optimizer step, stage ${index}`, stage.outputs);
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
      const whole = wholeOf(array, sizeOf(dims));
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
      const dtype: FloatDType = this.#generic.dtype;
      tensor = new this.#runtime.Tensor(dtype, allocateLike(dtype, 1), []);
      this.#scalarFeeds.set(name, tensor);
    }
    (tensor.data as FloatArray)[0] = x;
    return tensor;
  }

  /** A buffer of the program's for a small output (rank 0, or the caller's fixed shape). */
  #smallOutput(name: string): HostValue {
    let value = this.#small.get(name);
    if (value === undefined) {
      value = zeroValue(this.#generic.dtype, []);
      this.#small.set(name, value);
    }
    return value;
  }

  /**
   * A unit's values as one tensor. Values that lie apart are moved into one buffer when
   * `move` allows and they are this package's own (same values, new place: the state),
   * else gathered into a buffer of the program's (a caller's parameters, gradients).
   */
  #unitTensor(values: readonly HostValue[], u: number, role: string, move: boolean): Tensor {
    const dims = this.#generic.layout.shapes[u] as number[];
    const arrays = values.map((value) => value.array);
    if (!contiguous(arrays)) {
      const owned = move && values.every((value) => value.owned);
      const key = `${role}:${u}`;
      let whole = owned ? undefined : this.#gathered.get(key);
      if (whole === undefined) {
        whole = allocateLike(this.#generic.dtype, sizeOf(dims));
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
    const slotNames = engine.algorithm.slots.map(([slot]) => slot);
    const scalarNames = engine.algorithm.scalars.map(([name]) => name);
    // Host values first: a schedule out of range is refused before anything runs.
    const hostValues = this.#generic.host.map((h) => h.value(prepared.t));
    const { recording, stages, diagnosis } = this.#select(prepared.t, hostValues);
    hostValues.forEach((x, k) => {
      const { input } = this.#generic.host[k] as { input: string };
      feeds[input] = this.#scalar(input, x);
    });
    const { units } = recording.layout;
    units.forEach((unit, u) => {
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
      const stage = stages[k] as Stage;
      const out = await (await this.#session(recording, stage, k)).run(pick(stage));
      if (k === 0 && !finite(out[recording.gradientCheck as string])) {
        await this.#diagnoseGradients(recording, diagnosis, prepared, feeds);
      }
      const local = Float64Array.from(reduction.partials, (name) => (out[name] as Tensor).data[0] as number);
      const totals = await engine.reduceOnHost(local);
      reduction.totals.forEach((name, j) => {
        feeds[name] = this.#scalar(name, totals[j] as number);
      });
    }

    const index = stages.length - 1;
    const last = stages[index] as Stage;
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
          if (name !== undefined) fetches[name] = unitOf(this.#slots[u]?.[s] as HostValue[], u);
        });
      });
      recording.scalarOutputs.forEach((name, k) => {
        if (name !== undefined) fetches[name] = this.tensor(this.#scalars[k] as HostValue);
      });
      for (const name of last.outputs) {
        if (fetches[name] === null && (this.#small.has(name) || !this.#extraOutputs.includes(name))) {
          fetches[name] = this.tensor(this.#smallOutput(name));
        }
      }
    }
    const out = await (await this.#session(recording, last, index)).run(pick(last), fetches);
    if (!this.#prebind) {
      recording.paramOutputs.forEach((name, u) => {
        spread(this.#params[u] as HostValue[], (out[name] as Tensor).data as FloatArray);
      });
      recording.slotOutputs.forEach((names, u) => {
        names.forEach((name, s) => {
          if (name !== undefined) {
            spread(this.#slots[u]?.[s] as HostValue[], (out[name] as Tensor).data as FloatArray);
          }
        });
      });
      recording.scalarOutputs.forEach((name, k) => {
        if (name !== undefined)
          (this.#scalars[k] as HostValue).array = (out[name] as Tensor).data as FloatArray;
      });
    }

    const params: HostValue[] = new Array(this.#tensors.length);
    const slots = this.#tensors.map((): Record<string, HostValue> => ({}));
    units.forEach((unit, u) => {
      slotNames.forEach((slot, s) => {
        const source = recording.slotSources[u]?.[s];
        const values =
          source === "gradient"
            ? this.#fedGradient(unit, u, s, prepared, feeds[this.#feeds[u]?.grad as string] as Tensor)
            : (this.#slots[u]?.[s] as HostValue[]);
        unit.forEach((i, k) => {
          (slots[i] as Record<string, HostValue>)[slot] =
            source === "kept" ? (prepared.state.slots[i]?.[slot] as HostValue) : (values[k] as HostValue);
        });
      });
      unit.forEach((i, k) => {
        params[i] = this.#params[u]?.[k] as HostValue;
      });
    });
    const scalars = Object.fromEntries(
      scalarNames.map((name, k) => [
        name,
        recording.scalarOutputs[k] === undefined
          ? (prepared.state.scalars[name] as HostValue)
          : (this.#scalars[k] as HostValue),
      ]),
    );
    if (!finite(out[recording.check])) {
      if (recording.gradientCheck === undefined) {
        await this.#diagnoseGradients(recording, diagnosis, prepared, feeds);
      }
      diagnoseResults(engine, prepared, params, slots, scalars);
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
    return { outcome: { params, slots, scalars, published, exact }, outputs: out };
  }

  /**
   * The unit's gradient as fed, for a slot that keeps it: the caller's gradients
   * themselves when they are this package's copies and were fed as they lie (the engine
   * then swaps them into the state), else a copy in the program's slot buffer.
   */
  #fedGradient(
    unit: readonly number[],
    u: number,
    s: number,
    prepared: PreparedStep<HostValue>,
    fed: Tensor,
  ): readonly HostValue[] {
    const grads = unit.map((i) => prepared.inputs[i]?.grad as HostValue);
    if (grads.every((g) => g.owned) && contiguous(grads.map((g) => g.array))) return grads;
    const own = this.#slots[u]?.[s] as HostValue[];
    wholeOf((own[0] as HostValue).array, fed.data.length).set(fed.data as FloatArray);
    return own;
  }

  /**
   * A gradient check came out non-finite: fetches the gradients and names the first
   * non-finite element. Returns when there is none (the check's sum overflowed).
   */
  async #diagnoseGradients(
    recording: StepRecording,
    stage: Stage,
    prepared: PreparedStep<HostValue>,
    feeds: Record<string, Tensor>,
  ): Promise<void> {
    const out = await (await this.#session(recording, stage, -1)).run(
      Object.fromEntries(stage.inputs.map((name) => [name, feeds[name] as Tensor])),
    );
    const grads = recording.gradientOutputs.map((name) => (out[name] as Tensor).data as FloatArray);
    const bad = firstNonFinite(grads);
    if (bad === undefined) return;
    // From the unit's element to its tensor's.
    let index = bad.index;
    for (const i of recording.layout.units[bad.which] as number[]) {
      const { size, name } = prepared.tensors[i] as TensorInfo;
      if (index < size) throw new NonFiniteGradientError(name, index, bad.value);
      index -= size;
    }
  }

  /** Releases the sessions made so far. */
  release(): Promise<void> {
    return releaseStages(this.#variant);
  }
}

/** The result check came out non-finite: names the first non-finite result, if any. */
function diagnoseResults(
  engine: Engine<HostValue>,
  prepared: PreparedStep<HostValue>,
  params: readonly HostValue[],
  slots: readonly Readonly<Record<string, HostValue>>[],
  scalars: Readonly<Record<string, HostValue>>,
): void {
  const labels: [string, string][] = [];
  const arrays: FloatArray[] = [];
  prepared.tensors.forEach((info, i) => {
    labels.push([info.name, "param"]);
    arrays.push((params[i] as HostValue).array);
    for (const [slot] of engine.algorithm.slots) {
      labels.push([info.name, slot]);
      arrays.push((slots[i]?.[slot] as HostValue).array);
    }
  });
  for (const [name] of engine.algorithm.scalars) {
    labels.push(["(optimizer)", name]);
    arrays.push((scalars[name] as HostValue).array);
  }
  const bad = firstNonFinite(arrays);
  if (bad !== undefined) {
    const [tensor, slot] = labels[bad.which] as [string, string];
    throw new NonFiniteResultError(tensor, slot, bad.index, bad.value);
  }
}

/** Releases a variant's sessions, those made so far. */
async function releaseStages(variant: Variant): Promise<void> {
  const stages = [...variant.stages, variant.diagnosis];
  const sessions = stages.map((stage) => stage.session);
  for (const stage of stages) stage.session = undefined;
  await Promise.all(
    sessions.map(async (session) => {
      if (session === undefined) return;
      await (await session.catch(() => undefined))?.release();
    }),
  );
}
