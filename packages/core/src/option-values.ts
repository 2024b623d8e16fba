/**
 * Options as data: what each option may hold, how a user's options (with parameter
 * groups) are checked and merged over the defaults, and how they are written to and read
 * from JSON (checkpoint headers, tfjs configs). One vocabulary for every algorithm.
 */
import { InvalidOptionError } from "./errors.js";
import { isSchedule, reviveSchedule, type Schedule, type ScheduleFunction } from "./schedules.js";

/** What a number option must satisfy. */
export type OptionRule =
  | "positive" // finite and > 0
  | "nonNegative" // finite and >= 0
  | "unitInterval" // in [0, 1)
  | "fraction" // in [0, 1]
  | "count" // integer >= 0
  | "positiveCount" // integer >= 1
  | "countOrInfinity" // integer >= 0, or Infinity for "never"
  | "positiveOrInfinity" // > 0, or Infinity for "off"
  | "epsilon"; // finite and at least the smallest normal float32

/** The smallest normal float32: a smaller epsilon rounds to 0 or a subnormal in float32 backends. */
export const MIN_EPSILON = 1.1754943508222875e-38;

export const RULE_REQUIREMENTS: Readonly<Record<OptionRule, string>> = Object.freeze({
  positive: "a finite number > 0",
  nonNegative: "a finite number >= 0",
  unitInterval: "a number in [0, 1)",
  fraction: "a number in [0, 1]",
  count: "an integer >= 0",
  positiveCount: "an integer >= 1",
  countOrInfinity: "an integer >= 0 or Infinity",
  positiveOrInfinity: "a number > 0 or Infinity",
  epsilon: `a finite number >= ${MIN_EPSILON} (the smallest normal float32)`,
});

export function satisfies(value: number, rule: OptionRule): boolean {
  switch (rule) {
    case "positive":
      return Number.isFinite(value) && value > 0;
    case "nonNegative":
      return Number.isFinite(value) && value >= 0;
    case "unitInterval":
      return value >= 0 && value < 1;
    case "fraction":
      return value >= 0 && value <= 1;
    case "count":
      return Number.isSafeInteger(value) && value >= 0;
    case "positiveCount":
      return Number.isSafeInteger(value) && value >= 1;
    case "countOrInfinity":
      return value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 0);
    case "positiveOrInfinity":
      return value > 0;
    case "epsilon":
      return Number.isFinite(value) && value >= MIN_EPSILON;
  }
}

/** A value an option may hold. */
export type OptionValue = number | Schedule | ScheduleFunction | "auto";

/** What one option may hold, where it applies, and its default. */
export interface OptionSpec {
  /** `undefined`: the option is off unless given. */
  readonly default: number | undefined;
  /** The rule for a number, and for every value a schedule gives. */
  readonly rule: OptionRule;
  /** `"group"`: may differ per parameter group. `"global"`: one value for the whole step. */
  readonly scope: "group" | "global";
  /** May be a schedule, evaluated at every step. */
  readonly schedulable?: boolean;
  /** May be `"auto"`: the algorithm decides it from data. */
  readonly auto?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Which tensors a parameter group takes: their names, or a pattern tested against each name. */
export type TensorSelector = readonly string[] | RegExp;

/** A parameter group as given: the tensors it takes and the options it overrides. */
export interface ParamGroup {
  readonly tensors: TensorSelector;
  readonly [option: string]: OptionValue | TensorSelector | undefined;
}

/** A group after checking: its selector and its overrides. */
export interface ResolvedGroup {
  readonly tensors: TensorSelector;
  readonly overrides: Readonly<Record<string, OptionValue>>;
}

/** Options after checking: every option's value (absent when off) and the groups. */
export interface OptionSet {
  readonly values: Readonly<Record<string, OptionValue>>;
  readonly groups: readonly ResolvedGroup[];
}

function checkValue(path: string, value: unknown, spec: OptionSpec): OptionValue {
  if (typeof value === "number") {
    if (!satisfies(value, spec.rule)) throw new InvalidOptionError(path, value, RULE_REQUIREMENTS[spec.rule]);
    return value;
  }
  if (spec.auto && value === "auto") return "auto";
  if (spec.schedulable && typeof value === "function") return value as ScheduleFunction;
  if (spec.schedulable && isSchedule(value)) return reviveSchedule(value, path);
  const forms = [RULE_REQUIREMENTS[spec.rule]];
  if (spec.schedulable) forms.push("a schedule");
  if (spec.auto) forms.push('"auto"');
  throw new InvalidOptionError(path, value, forms.join(" or "));
}

function checkSelector(path: string, tensors: unknown): TensorSelector {
  if (tensors instanceof RegExp) {
    // A global or sticky pattern keeps state between tests; a fresh one without those
    // flags answers the same for every name.
    return new RegExp(tensors.source, tensors.flags.replace(/[gy]/g, ""));
  }
  if (
    Array.isArray(tensors) &&
    tensors.length > 0 &&
    tensors.every((name) => typeof name === "string") &&
    new Set(tensors).size === tensors.length
  ) {
    return Object.freeze([...tensors]);
  }
  throw new InvalidOptionError(path, tensors, "a RegExp or a non-empty array of distinct tensor names");
}

/**
 * Checks `given` against `specs` and merges it over the defaults. Unknown names are
 * refused (a typo such as `lr` would otherwise be ignored), and so are global options
 * inside a group. Throws {@link InvalidOptionError} naming the option and the value.
 */
export function resolveOptionSet(specs: OptionSpecs, given: unknown): OptionSet {
  if (given !== undefined && (typeof given !== "object" || given === null || Array.isArray(given))) {
    throw new InvalidOptionError("options", given, "an object");
  }
  const record = (given ?? {}) as Record<string, unknown>;
  const names = Object.keys(specs);
  const values: Record<string, OptionValue> = {};
  for (const key of Object.keys(record)) {
    if (key !== "groups" && !Object.hasOwn(specs, key)) {
      throw new InvalidOptionError(
        key,
        record[key],
        `one of ${[...names, "groups"].join(", ")} (unknown option)`,
      );
    }
  }
  for (const name of names) {
    const spec = specs[name] as OptionSpec;
    // Only undefined means "not given": a null is an error, not the default.
    const value = record[name] === undefined ? spec.default : record[name];
    if (value !== undefined) values[name] = checkValue(name, value, spec);
  }
  const groupsGiven = record.groups ?? [];
  if (!Array.isArray(groupsGiven)) throw new InvalidOptionError("groups", groupsGiven, "an array of groups");
  const groups = groupsGiven.map((group, g): ResolvedGroup => {
    const path = `groups[${g}]`;
    if (typeof group !== "object" || group === null || Array.isArray(group)) {
      throw new InvalidOptionError(path, group, "an object { tensors, ...overrides }");
    }
    const { tensors, ...rest } = group as Record<string, unknown>;
    const overrides: Record<string, OptionValue> = {};
    for (const [name, value] of Object.entries(rest)) {
      const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
      if (spec === undefined) {
        throw new InvalidOptionError(`${path}.${name}`, value, `one of ${names.join(", ")} (unknown option)`);
      }
      if (spec.scope === "global") {
        throw new InvalidOptionError(
          `${path}.${name}`,
          value,
          "set once for all tensors, not per group (a global option)",
        );
      }
      if (value !== undefined) overrides[name] = checkValue(`${path}.${name}`, value, spec);
    }
    return Object.freeze({
      tensors: checkSelector(`${path}.tensors`, tensors),
      overrides: Object.freeze(overrides),
    });
  });
  return Object.freeze({ values: Object.freeze(values), groups: Object.freeze(groups) });
}

/** Whether `selector` takes the tensor `name`. */
export function selects(selector: TensorSelector, name: string): boolean {
  return selector instanceof RegExp ? selector.test(name) : selector.includes(name);
}

/**
 * The group of each tensor: 0 for the top-level options, `g + 1` for `groups[g]` (the
 * first group that takes it). Throws {@link InvalidOptionError} for a group that takes
 * no tensor, which is almost always a typo, unless `refuseUnused` is false (a tensor set
 * fixed before the first update, which checks it then).
 */
export function assignGroups(set: OptionSet, names: readonly string[], refuseUnused = true): number[] {
  const assigned = names.map((name) => {
    const g = set.groups.findIndex((group) => selects(group.tensors, name));
    return g + 1;
  });
  if (!refuseUnused) return assigned;
  set.groups.forEach((group, g) => {
    if (!names.some((name) => selects(group.tensors, name))) {
      throw new InvalidOptionError(
        `groups[${g}].tensors`,
        group.tensors,
        `a selector that takes at least one of the tensors (${names.join(", ")})`,
      );
    }
  });
  return assigned;
}

/** The value of option `name` for a tensor of group `group` (0: top level). */
export function optionFor(set: OptionSet, name: string, group: number): OptionValue | undefined {
  const override = group > 0 ? set.groups[group - 1]?.overrides : undefined;
  return override && Object.hasOwn(override, name) ? override[name] : set.values[name];
}

/** The options as a user would write them: every value, plus `groups` when there are any. */
export function optionsObject(set: OptionSet): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = { ...set.values };
  if (set.groups.length > 0) {
    out.groups = set.groups.map((group) => ({ tensors: group.tensors, ...group.overrides }));
  }
  return Object.freeze(out);
}

/** JSON for a function schedule: the function itself cannot be written. */
export const FUNCTION_MARKER = Object.freeze({ type: "function" });

function valueToJSON(value: OptionValue): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "function") return FUNCTION_MARKER;
  return value;
}

/**
 * The options as JSON-safe data: ±Infinity as the strings `"Infinity"` / `"-Infinity"`,
 * schedules as their data, a function schedule as `{ "type": "function" }`, a RegExp
 * selector as `{ "regexp": source, "flags": flags }`.
 */
export function optionSetToJSON(set: OptionSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(set.values)) out[name] = valueToJSON(value);
  if (set.groups.length > 0) {
    out.groups = set.groups.map((group) => {
      const tensors =
        group.tensors instanceof RegExp
          ? { regexp: group.tensors.source, flags: group.tensors.flags }
          : [...group.tensors];
      const overrides = Object.fromEntries(
        Object.entries(group.overrides).map(([k, v]) => [k, valueToJSON(v)]),
      );
      return { tensors, ...overrides };
    });
  }
  return out;
}

/**
 * Reads options written by {@link optionSetToJSON}. Every option without a default must
 * be present (a header that lost its options must not silently become the defaults),
 * unless listed in `mayBeAbsent`. A function schedule is taken from `current` (the
 * options of the optimizer loading it) at the same place, where it must be a function
 * too. Throws {@link InvalidOptionError} naming the option.
 */
export function optionSetFromJSON(
  specs: OptionSpecs,
  data: unknown,
  current: OptionSet | undefined,
  mayBeAbsent: readonly string[] = [],
): OptionSet {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new InvalidOptionError("options", data, "an object");
  }
  const record = data as Record<string, unknown>;
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.default !== undefined && !Object.hasOwn(record, name) && !mayBeAbsent.includes(name)) {
      throw new InvalidOptionError(name, undefined, "stored (every option is written with the state)");
    }
  }
  const fromJSON = (path: string, value: unknown, fromCurrent: () => OptionValue | undefined): unknown => {
    if (value === "Infinity") return Number.POSITIVE_INFINITY;
    if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
    if (typeof value === "object" && value !== null && (value as { type?: unknown }).type === "function") {
      const fn = fromCurrent();
      if (typeof fn !== "function") {
        throw new InvalidOptionError(
          path,
          value,
          "given as a function by the optimizer that loads it (it was a function schedule, which is not saved)",
        );
      }
      return fn;
    }
    return value;
  };
  const given: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (name === "groups") continue;
    given[name] = fromJSON(name, value, () => current?.values[name]);
  }
  if (record.groups !== undefined) {
    if (!Array.isArray(record.groups))
      throw new InvalidOptionError("groups", record.groups, "an array of groups");
    given.groups = record.groups.map((group: unknown, g: number) => {
      if (typeof group !== "object" || group === null) return group;
      const { tensors, ...rest } = group as Record<string, unknown>;
      const selector =
        typeof tensors === "object" && tensors !== null && !Array.isArray(tensors)
          ? regexpFromJSON(`groups[${g}].tensors`, tensors)
          : tensors;
      const overrides = Object.fromEntries(
        Object.entries(rest).map(([k, v]) => [
          k,
          fromJSON(`groups[${g}].${k}`, v, () => current?.groups[g]?.overrides[k]),
        ]),
      );
      return { tensors: selector, ...overrides };
    });
  }
  return resolveOptionSet(specs, given);
}

function regexpFromJSON(path: string, data: object): RegExp {
  const { regexp, flags } = data as { regexp?: unknown; flags?: unknown };
  if (typeof regexp !== "string" || typeof flags !== "string") {
    throw new InvalidOptionError(path, data, "a { regexp, flags } pattern");
  }
  try {
    return new RegExp(regexp, flags);
  } catch {
    throw new InvalidOptionError(path, data, "a valid regular expression");
  }
}
