/**
 * What each optimizer contributes to a graph: its slots, the step-dependent scalars it
 * takes, and how to record one step with core's update function. The same recipe is
 * recorded into the standalone optimizer graph and into the trainer's fused graph.
 */
import {
  A2S_SLOT_NAMES,
  type A2SOptions,
  ADAM_SLOT_NAMES,
  type AdamOptions,
  a2sSchedule,
  a2sUpdate,
  adamUpdate,
  RMSPROP_SLOT_NAMES,
  type RMSPropOptions,
  resolveA2SOptions,
  resolveAdamOptions,
  resolveRMSPropOptions,
  resolveSGDMomentumOptions,
  rmspropUpdate,
  SGD_MOMENTUM_SLOT_NAMES,
  type SGDMomentumOptions,
  type StepScalarName,
  sgdMomentumUpdate,
} from "@a2s/core";
import type { Sym } from "./graph-builder.js";
import type { SymbolicOps } from "./symbolic-ops.js";

/** The algorithms, named as in checkpoints. */
export type OptimizerKind = "A2S" | "Adam" | "RMSProp" | "SGDMomentum";

/** One tensor as the recipe sees it while recording. A missing slot is not a graph input. */
export interface RecipeTensor {
  param: Sym;
  grad: Sym;
  slots: Readonly<Record<string, Sym | undefined>>;
}

/** The recorded values of one step. */
export interface RecordedStep {
  tensors: { param: Sym; slots: Record<string, Sym> }[];
  /** A2S's data-dependent scalars, exposed as extra graph outputs for diagnostics. */
  scalars: Partial<Record<RecordedScalar, Sym>>;
}

export type RecordedScalar = "curvature" | "lrScale" | "lrAdamEff" | "lrSgdEff";

/** One algorithm as something a graph can record. */
export interface OptimizerRecipe {
  readonly kind: OptimizerKind;
  readonly options: Readonly<Record<string, number>>;
  /** Slot names in checkpoint order. */
  readonly slotNames: readonly string[];
  /**
   * Slots that step 1 does not read. A2S has no previous gradient there, and core's
   * `a2sUpdate` then takes the curvature as 0 without reading one: such a recipe gets a
   * second graph, recorded with those slots absent, for the first step.
   */
  readonly unreadOnFirstStep: readonly string[];
  /** The step scalars' values at step `t` (from 1), computed on the host in float64. */
  stepScalars(t: number): Partial<Record<StepScalarName, number>>;
  record(ops: SymbolicOps, tensors: readonly RecipeTensor[]): RecordedStep;
}

function slot(tensor: RecipeTensor, name: string): Sym {
  const value = tensor.slots[name];
  if (value === undefined) throw new Error(`slot ${name} of ${tensor.param.name} was not recorded`);
  return value;
}

/** A2S from core's `a2sUpdate`; throws `InvalidOptionError` for bad options. */
export function a2sRecipe(options?: Partial<A2SOptions>): OptimizerRecipe {
  const resolved = resolveA2SOptions(options);
  return {
    kind: "A2S",
    options: resolved as unknown as Record<string, number>,
    slotNames: A2S_SLOT_NAMES,
    unreadOnFirstStep: ["prev"],
    stepScalars: (t) => {
      const { w, oneMinusW, biasCorrection1, biasCorrection2 } = a2sSchedule(t, resolved);
      return { w, oneMinusW, biasCorrection1, biasCorrection2 };
    },
    record(ops, tensors) {
      // The schedule's values are placeholders: SymbolicOps turns them into graph inputs.
      const result = a2sUpdate(
        ops,
        resolved,
        a2sSchedule(1, resolved),
        tensors.map((t) => ({
          param: t.param,
          grad: t.grad,
          slots: { m: slot(t, "m"), v: slot(t, "v"), buf: slot(t, "buf"), prev: t.slots.prev },
        })),
      );
      return {
        tensors: result.tensors.map(({ param, slots }) => ({ param, slots: { ...slots } })),
        scalars: {
          curvature: result.curvature,
          lrScale: result.lrScale,
          lrAdamEff: result.lrAdamEff,
          lrSgdEff: result.lrSgdEff,
        },
      };
    },
  };
}

/** Adam from core's `adamUpdate`. */
export function adamRecipe(options?: Partial<AdamOptions>): OptimizerRecipe {
  const resolved = resolveAdamOptions(options);
  return {
    kind: "Adam",
    options: resolved as unknown as Record<string, number>,
    slotNames: ADAM_SLOT_NAMES,
    unreadOnFirstStep: [],
    // The same expressions as adamUpdate's, so the fed values equal its own.
    stepScalars: (t) => ({
      biasCorrection1: 1 - resolved.beta1 ** t,
      biasCorrection2: 1 - resolved.beta2 ** t,
    }),
    record: (ops, tensors) => ({
      tensors: tensors.map((t) => {
        const out = adamUpdate(ops, resolved, 1, t.param, t.grad, { m: slot(t, "m"), v: slot(t, "v") });
        return { param: out.param, slots: { ...out.slots } };
      }),
      scalars: {},
    }),
  };
}

/** RMSProp from core's `rmspropUpdate`. */
export function rmspropRecipe(options?: Partial<RMSPropOptions>): OptimizerRecipe {
  const resolved = resolveRMSPropOptions(options);
  return {
    kind: "RMSProp",
    options: resolved as unknown as Record<string, number>,
    slotNames: RMSPROP_SLOT_NAMES,
    unreadOnFirstStep: [],
    stepScalars: () => ({}),
    record: (ops, tensors) => ({
      tensors: tensors.map((t) => {
        const out = rmspropUpdate(ops, resolved, t.param, t.grad, { v: slot(t, "v") });
        return { param: out.param, slots: { ...out.slots } };
      }),
      scalars: {},
    }),
  };
}

/** SGD with momentum from core's `sgdMomentumUpdate`. */
export function sgdMomentumRecipe(options?: Partial<SGDMomentumOptions>): OptimizerRecipe {
  const resolved = resolveSGDMomentumOptions(options);
  return {
    kind: "SGDMomentum",
    options: resolved as unknown as Record<string, number>,
    slotNames: SGD_MOMENTUM_SLOT_NAMES,
    unreadOnFirstStep: [],
    stepScalars: () => ({}),
    record: (ops, tensors) => ({
      tensors: tensors.map((t) => {
        const out = sgdMomentumUpdate(ops, resolved, t.param, t.grad, { buf: slot(t, "buf") });
        return { param: out.param, slots: { ...out.slots } };
      }),
      scalars: {},
    }),
  };
}
