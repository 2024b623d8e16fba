/**
 * Schedules: values that depend on the step count, as plain data so that they serialise
 * into checkpoints and tfjs configs. Names and formulas are optax's, in camelCase, with
 * one difference: a schedule is evaluated at the step count `t` of the step it serves,
 * which counts from 1 as in the seed, where optax evaluates at the number of updates
 * done before it (from 0). The same `t` drives the bias corrections, the blend weight
 * and every schedule, so A2S's own ramp is exactly a {@link linearSchedule}.
 */
import { InvalidOptionError } from "./errors.js";

export interface ConstantSchedule {
  readonly type: "constant";
  readonly value: number;
}
export interface LinearSchedule {
  readonly type: "linear";
  readonly initValue: number;
  readonly endValue: number;
  readonly transitionSteps: number;
  readonly transitionBegin: number;
}
export interface CosineDecaySchedule {
  readonly type: "cosineDecay";
  readonly initValue: number;
  readonly decaySteps: number;
  readonly alpha: number;
}
export interface ExponentialDecaySchedule {
  readonly type: "exponentialDecay";
  readonly initValue: number;
  readonly transitionSteps: number;
  readonly decayRate: number;
  readonly transitionBegin: number;
  readonly staircase: boolean;
  /** A floor (when decaying) or ceiling (when growing); `null` for none. */
  readonly endValue: number | null;
}
export interface WarmupCosineDecaySchedule {
  readonly type: "warmupCosineDecay";
  readonly initValue: number;
  readonly peakValue: number;
  readonly warmupSteps: number;
  readonly decaySteps: number;
  readonly endValue: number;
}
export interface JoinedSchedule {
  readonly type: "join";
  readonly schedules: readonly Schedule[];
  readonly boundaries: readonly number[];
}

/** A schedule as data. */
export type Schedule =
  | ConstantSchedule
  | LinearSchedule
  | CosineDecaySchedule
  | ExponentialDecaySchedule
  | WarmupCosineDecaySchedule
  | JoinedSchedule;

/**
 * A schedule as code. Accepted wherever a schedule is, but a function does not
 * serialise: a checkpoint or config records only that the option was a function, and
 * loading it needs an optimizer made with a function for the same option.
 */
export type ScheduleFunction = (t: number) => number;

const fail = (path: string, value: unknown, requirement: string): never => {
  throw new InvalidOptionError(path, value, requirement);
};
const finite = (path: string, value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) ? value : fail(path, value, "a finite number");
const steps = (path: string, value: unknown, min: number): number =>
  Number.isSafeInteger(value) && (value as number) >= min
    ? (value as number)
    : fail(path, value, `an integer >= ${min}`);

function fields<T extends object>(
  path: string,
  given: unknown,
  required: readonly (keyof T & string)[],
  optional: readonly (keyof T & string)[],
): Record<string, unknown> {
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    fail(path, given, "an object");
  }
  const record = given as Record<string, unknown>;
  const known = new Set<string>(["type", ...required, ...optional]);
  for (const key of Object.keys(record)) {
    if (!known.has(key))
      fail(`${path}.${key}`, record[key], `one of ${[...known].join(", ")} (unknown field)`);
  }
  for (const key of required) if (record[key] === undefined) fail(`${path}.${key}`, undefined, "given");
  return record;
}

/** The same value at every step. */
export function constantSchedule(value: number): ConstantSchedule {
  return Object.freeze({ type: "constant", value: finite("constantSchedule.value", value) });
}

/**
 * From `initValue` to `endValue` linearly over `transitionSteps` steps after
 * `transitionBegin`: `init + (end − init)·clip((t − begin) / steps, 0, 1)`.
 * With `transitionSteps: 0` it is a step: `initValue` while `t ≤ transitionBegin`, then
 * `endValue` (optax instead stays at `initValue`; the step is the limit of the ramp and
 * what A2S's `blendIters: 0` means).
 */
export function linearSchedule(options: {
  initValue: number;
  endValue: number;
  transitionSteps: number;
  transitionBegin?: number;
}): LinearSchedule {
  const path = "linearSchedule";
  const o = fields<LinearSchedule>(
    path,
    options,
    ["initValue", "endValue", "transitionSteps"],
    ["transitionBegin"],
  );
  const begin = o.transitionBegin ?? 0;
  return Object.freeze({
    type: "linear",
    initValue: finite(`${path}.initValue`, o.initValue),
    endValue: finite(`${path}.endValue`, o.endValue),
    transitionSteps: steps(`${path}.transitionSteps`, o.transitionSteps, 0),
    // Infinity is a valid begin: the ramp never starts (A2S's switchIter: Infinity).
    transitionBegin: begin === Number.POSITIVE_INFINITY ? begin : steps(`${path}.transitionBegin`, begin, 0),
  });
}

/** `init·((1 − alpha)·½(1 + cos(π·min(t, decaySteps)/decaySteps)) + alpha)`. */
export function cosineDecaySchedule(options: {
  initValue: number;
  decaySteps: number;
  alpha?: number;
}): CosineDecaySchedule {
  const path = "cosineDecaySchedule";
  const o = fields<CosineDecaySchedule>(path, options, ["initValue", "decaySteps"], ["alpha"]);
  return Object.freeze({
    type: "cosineDecay",
    initValue: finite(`${path}.initValue`, o.initValue),
    decaySteps: steps(`${path}.decaySteps`, o.decaySteps, 1),
    alpha: finite(`${path}.alpha`, o.alpha ?? 0),
  });
}

/**
 * `initValue` while `t ≤ transitionBegin`, then `init·decayRate^((t − begin)/steps)`
 * (the exponent floored when `staircase`), bounded by `endValue` when given.
 */
export function exponentialDecay(options: {
  initValue: number;
  transitionSteps: number;
  decayRate: number;
  transitionBegin?: number;
  staircase?: boolean;
  endValue?: number | null;
}): ExponentialDecaySchedule {
  const path = "exponentialDecay";
  const o = fields<ExponentialDecaySchedule>(
    path,
    options,
    ["initValue", "transitionSteps", "decayRate"],
    ["transitionBegin", "staircase", "endValue"],
  );
  const decayRate = finite(`${path}.decayRate`, o.decayRate);
  if (decayRate <= 0) fail(`${path}.decayRate`, decayRate, "a finite number > 0");
  const staircase = o.staircase ?? false;
  if (typeof staircase !== "boolean") fail(`${path}.staircase`, staircase, "a boolean");
  const endValue = o.endValue ?? null;
  return Object.freeze({
    type: "exponentialDecay",
    initValue: finite(`${path}.initValue`, o.initValue),
    transitionSteps: steps(`${path}.transitionSteps`, o.transitionSteps, 1),
    decayRate,
    transitionBegin: steps(`${path}.transitionBegin`, o.transitionBegin ?? 0, 0),
    staircase: staircase as boolean,
    endValue: endValue === null ? null : finite(`${path}.endValue`, endValue),
  });
}

/**
 * Linear from `initValue` to `peakValue` over `warmupSteps`, then cosine from
 * `peakValue` to `endValue` over `decaySteps − warmupSteps` (optax's join of the two).
 */
export function warmupCosineDecaySchedule(options: {
  initValue: number;
  peakValue: number;
  warmupSteps: number;
  decaySteps: number;
  endValue?: number;
}): WarmupCosineDecaySchedule {
  const path = "warmupCosineDecaySchedule";
  const o = fields<WarmupCosineDecaySchedule>(
    path,
    options,
    ["initValue", "peakValue", "warmupSteps", "decaySteps"],
    ["endValue"],
  );
  const warmupSteps = steps(`${path}.warmupSteps`, o.warmupSteps, 0);
  const decaySteps = steps(`${path}.decaySteps`, o.decaySteps, 1);
  if (decaySteps <= warmupSteps)
    fail(`${path}.decaySteps`, decaySteps, `an integer > warmupSteps (${warmupSteps})`);
  return Object.freeze({
    type: "warmupCosineDecay",
    initValue: finite(`${path}.initValue`, o.initValue),
    peakValue: finite(`${path}.peakValue`, o.peakValue),
    warmupSteps,
    decaySteps,
    endValue: finite(`${path}.endValue`, o.endValue ?? 0),
  });
}

/**
 * `schedules[0]` until `boundaries[0]`; from boundary `b` on, the next schedule,
 * evaluated at `t − b`. Boundaries are increasing integers.
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): JoinedSchedule {
  const path = "joinSchedules";
  if (!Array.isArray(schedules) || schedules.length === 0)
    fail(`${path}.schedules`, schedules, "a non-empty array");
  if (!Array.isArray(boundaries) || boundaries.length !== schedules.length - 1) {
    fail(
      `${path}.boundaries`,
      boundaries,
      `an array of ${schedules.length - 1} steps (one fewer than schedules)`,
    );
  }
  boundaries.forEach((b, i) => {
    steps(`${path}.boundaries[${i}]`, b, 0);
    if (i > 0 && b <= (boundaries[i - 1] as number))
      fail(`${path}.boundaries[${i}]`, b, "larger than the one before");
  });
  return Object.freeze({
    type: "join",
    schedules: Object.freeze(schedules.map((s, i) => reviveSchedule(s, `${path}.schedules[${i}]`))),
    boundaries: Object.freeze([...boundaries]),
  });
}

/**
 * Checks untrusted schedule data (from a user, a checkpoint or a config) field by field
 * and returns it as a frozen schedule. Errors name `path` and the field.
 */
export function reviveSchedule(data: unknown, path: string): Schedule {
  const type = (data as { type?: unknown } | null)?.type;
  const { type: _, ...rest } = (typeof data === "object" && data !== null ? data : {}) as Record<
    string,
    unknown
  >;
  const rename = (error: unknown): never => {
    if (error instanceof InvalidOptionError) {
      const field = error.option.slice(error.option.indexOf(".") + 1);
      const dot = error.option.includes(".");
      throw new InvalidOptionError(dot ? `${path}.${field}` : path, error.value, error.requirement);
    }
    throw error;
  };
  try {
    switch (type) {
      case "constant":
        fields<ConstantSchedule>(path, data, ["value"], []);
        return constantSchedule(rest.value as number);
      case "linear":
        return linearSchedule(rest as never);
      case "cosineDecay":
        return cosineDecaySchedule(rest as never);
      case "exponentialDecay":
        return exponentialDecay(rest as never);
      case "warmupCosineDecay":
        return warmupCosineDecaySchedule(rest as never);
      case "join": {
        fields<JoinedSchedule>(path, data, ["schedules", "boundaries"], []);
        return joinSchedules(rest.schedules as Schedule[], rest.boundaries as number[]);
      }
      default:
        return fail(
          path,
          data,
          "a number or a schedule (constant, linear, cosineDecay, exponentialDecay, warmupCosineDecay, join)",
        );
    }
  } catch (error) {
    return rename(error);
  }
}

export function isSchedule(value: unknown): value is Schedule {
  return (
    typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"
  );
}

/** The schedule's value at step `t` (from 1), in float64. */
export function evaluateSchedule(schedule: Schedule | ScheduleFunction, t: number): number {
  if (typeof schedule === "function") return schedule(t);
  switch (schedule.type) {
    case "constant":
      return schedule.value;
    case "linear": {
      const { initValue: init, endValue: end, transitionSteps, transitionBegin } = schedule;
      if (transitionSteps === 0) return t <= transitionBegin ? init : end;
      const fraction = Math.min(Math.max((t - transitionBegin) / transitionSteps, 0), 1);
      return init + (end - init) * fraction;
    }
    case "cosineDecay": {
      const count = Math.min(t, schedule.decaySteps);
      const cosine = 0.5 * (1 + Math.cos((Math.PI * count) / schedule.decaySteps));
      return schedule.initValue * ((1 - schedule.alpha) * cosine + schedule.alpha);
    }
    case "exponentialDecay": {
      const count = t - schedule.transitionBegin;
      if (count <= 0) return schedule.initValue;
      const power = count / schedule.transitionSteps;
      const value =
        schedule.initValue * schedule.decayRate ** (schedule.staircase ? Math.floor(power) : power);
      if (schedule.endValue === null) return value;
      return schedule.decayRate < 1 ? Math.max(value, schedule.endValue) : Math.min(value, schedule.endValue);
    }
    case "warmupCosineDecay": {
      const { initValue, peakValue, warmupSteps, decaySteps, endValue } = schedule;
      if (t < warmupSteps)
        return initValue + (peakValue - initValue) * Math.min(Math.max(t / warmupSteps, 0), 1);
      const alpha = peakValue === 0 ? 0 : endValue / peakValue;
      return evaluateSchedule(
        { type: "cosineDecay", initValue: peakValue, decaySteps: decaySteps - warmupSteps, alpha },
        t - warmupSteps,
      );
    }
    case "join": {
      let value = evaluateSchedule(schedule.schedules[0] as Schedule, t);
      schedule.boundaries.forEach((boundary, i) => {
        if (t >= boundary) value = evaluateSchedule(schedule.schedules[i + 1] as Schedule, t - boundary);
      });
      return value;
    }
  }
}
