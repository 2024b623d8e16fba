/**
 * An optimizer's state between graph runs: step count, slot arrays and A2S's scalars.
 * Slot arrays are held per unit (see units.ts), with a view per tensor for checkpoints.
 * Slots are double-buffered: a run reads the current set and writes the next one into
 * pre-allocated arrays, so a step allocates nothing and a failed run leaves the current
 * set untouched. Feeding a value as input and output of the same run is not safe, since
 * onnxruntime may write an output before every reader of the input has run.
 */
import {
  allocateLike,
  type Checkpoint,
  CheckpointError,
  type FloatArray,
  type FloatDType,
  type StepDiagnostics,
  type StepScalarName,
} from "@a2s/core";
import { Tensor } from "onnxruntime-node";
import type { OptimizerGraphIO } from "./optimizer-graph.js";
import type { OptimizerRecipe, RecordedScalar } from "./recipes.js";
import { groupUnits, unitShape } from "./units.js";

/** Names, shapes and element type of the tensors an optimizer holds. */
export interface TensorLayout {
  names: readonly string[];
  shapes: readonly (readonly number[])[];
  dtype: FloatDType;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface Bound {
  array: FloatArray;
  tensor: Tensor;
}

function bind(dtype: FloatDType, shape: readonly number[]): Bound {
  const array = allocateLike(dtype, sizeOf(shape));
  return { array, tensor: new Tensor(dtype, array, shape) };
}

/** Step count, double-buffered slots and A2S's scalars of one optimizer. */
export class OptimizerState {
  /** Steps taken. */
  t = 0;
  private parity = 0;
  /** Tensor indices per unit. */
  readonly units: number[][];
  /** [parity][unit][slot] */
  private readonly slots: [Bound[][], Bound[][]];
  /** [parity][tensor][slot]: views into the unit arrays. */
  private readonly views: [FloatArray[][], FloatArray[][]];
  private readonly stepInputs = new Map<StepScalarName, Bound>();
  private readonly scalars = new Map<RecordedScalar, Bound>();
  /** Whether the scalar outputs hold step `t`'s values (not so before a step, or after a load). */
  private scalarsCurrent = false;
  private lastStep: StepDiagnostics | undefined;

  constructor(
    readonly layout: TensorLayout,
    readonly recipe: OptimizerRecipe,
  ) {
    this.units = groupUnits(layout.shapes);
    const set = () =>
      this.units.map((unit) =>
        recipe.slotNames.map(() => bind(layout.dtype, unitShape(unit, layout.shapes))),
      );
    this.slots = [set(), set()];
    this.views = [this.viewsOf(this.slots[0]), this.viewsOf(this.slots[1])];
  }

  private viewsOf(units: Bound[][]): FloatArray[][] {
    const views: FloatArray[][] = new Array(this.layout.shapes.length);
    this.units.forEach((unit, u) => {
      let offset = 0;
      for (const i of unit) {
        const length = sizeOf(this.layout.shapes[i] as number[]);
        views[i] = (units[u] as Bound[]).map((bound) => bound.array.subarray(offset, offset + length));
        offset += length;
      }
    });
    return views;
  }

  /** Puts this step's slots and step scalars into `feeds` and the next slots into `fetches`. */
  bindRun(io: OptimizerGraphIO, feeds: Record<string, Tensor>, fetches: Record<string, Tensor>): void {
    const current = this.slots[this.parity] as Bound[][];
    const next = this.slots[1 - this.parity] as Bound[][];
    io.slotInputs.forEach((names, i) => {
      names.forEach((name, s) => {
        if (name !== null) feeds[name] = (current[i]?.[s] as Bound).tensor;
      });
    });
    io.slotOutputs.forEach((names, i) => {
      names.forEach((name, s) => {
        fetches[name] = (next[i]?.[s] as Bound).tensor;
      });
    });
    const values = this.recipe.stepScalars(this.t + 1);
    for (const name of io.stepScalars) {
      let bound = this.stepInputs.get(name);
      if (!bound) {
        bound = bind(this.layout.dtype, []);
        this.stepInputs.set(name, bound);
      }
      bound.array[0] = values[name] as number;
      feeds[name] = bound.tensor;
    }
    for (const [key, name] of Object.entries(io.scalarOutputs) as [RecordedScalar, string][]) {
      let bound = this.scalars.get(key);
      if (!bound) {
        bound = bind(this.layout.dtype, []);
        this.scalars.set(key, bound);
      }
      fetches[name] = bound.tensor;
    }
  }

  /** Adopts the slots written by the run just finished. */
  commit(): void {
    this.parity = 1 - this.parity;
    this.t += 1;
    this.scalarsCurrent = true;
    this.lastStep = undefined;
  }

  /**
   * The last step's schedule and A2S's scalars; undefined for a baseline, before the
   * first step and after a load (a checkpoint does not keep them).
   */
  diagnostics(): StepDiagnostics | undefined {
    if (!this.scalarsCurrent || this.recipe.kind !== "A2S") return undefined;
    if (!this.lastStep) {
      const read = (key: RecordedScalar) => this.scalars.get(key)?.array[0] ?? Number.NaN;
      const { w } = this.recipe.stepScalars(this.t);
      this.lastStep = {
        t: this.t,
        w: w as number,
        curvature: read("curvature"),
        lrScale: read("lrScale"),
        lrAdam: read("lrAdamEff"),
        lrSgd: read("lrSgdEff"),
      };
    }
    return this.lastStep;
  }

  /** The state in the core checkpoint format; the arrays are the live ones (encode copies them). */
  toCheckpoint(): Checkpoint {
    const current = this.views[this.parity] as FloatArray[][];
    return {
      algorithm: this.recipe.kind,
      options: { ...this.recipe.options },
      t: this.t,
      tensors: Object.fromEntries(
        this.layout.names.map((name, i) => [
          name,
          {
            shape: [...(this.layout.shapes[i] as number[])],
            slots: Object.fromEntries(
              this.recipe.slotNames.map((slot, s) => [slot, current[i]?.[s] as FloatArray]),
            ),
          },
        ]),
      ),
    };
  }

  /**
   * Copies a decoded checkpoint into the current slots, converting to this layout's dtype.
   * Checks the tensor names and lengths first, so a refusal changes nothing.
   */
  load(checkpoint: Checkpoint): void {
    const names = Object.keys(checkpoint.tensors);
    const held = new Set(this.layout.names);
    if (names.length !== held.size || names.some((name) => !held.has(name))) {
      throw new CheckpointError(
        "tensors",
        `checkpoint holds [${names.join(", ")}], this optimizer [${this.layout.names.join(", ")}]`,
      );
    }
    this.layout.names.forEach((name, i) => {
      const expected = sizeOf(this.layout.shapes[i] as number[]);
      const stored = sizeOf(checkpoint.tensors[name]?.shape ?? []);
      if (stored !== expected) {
        throw new CheckpointError("tensors", `${name} has ${stored} elements, this optimizer ${expected}`);
      }
    });
    const current = this.views[this.parity] as FloatArray[][];
    this.layout.names.forEach((name, i) => {
      const tensor = checkpoint.tensors[name];
      this.recipe.slotNames.forEach((slot, s) => {
        (current[i]?.[s] as FloatArray).set(tensor?.slots[slot] as FloatArray);
      });
    });
    this.t = checkpoint.t;
    this.scalarsCurrent = false;
    this.lastStep = undefined;
  }
}
