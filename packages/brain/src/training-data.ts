import { A2SError } from "@a2s/core";

/** What is wrong with the training data. */
export type TrainingDataProblem = "empty" | "shape" | "length" | "non-finite";

/**
 * Training data that the network cannot learn from: no patterns, a pattern without
 * `input` or `output`, a length that differs from the network's (or the first pattern's)
 * layer size, or a value that is not a finite number. Thrown by `train` and `trainAsync`
 * before anything changes. `path` names the culprit, e.g. `data[3].input[17]`.
 */
export class TrainingDataError extends A2SError {
  readonly problem: TrainingDataProblem;
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
  constructor(problem: TrainingDataProblem, path: string, expected: unknown, actual: unknown) {
    const text: Record<TrainingDataProblem, string> = {
      empty: `${path} holds no training patterns`,
      shape: `${path} must be ${expected}; got ${show(actual)}`,
      length: `${path} has ${show(actual)} values, expected ${show(expected)}`,
      "non-finite": `${path} is ${show(actual)}; training data must be finite numbers`,
    };
    super("INVALID_TRAINING_DATA", `${text[problem]}; nothing was trained`);
    this.problem = problem;
    this.path = path;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Input and output layer sizes that array-form patterns must match, when known. */
export interface ExpectedSizes {
  input: number;
  output: number;
}

type Form = "array" | "hash";

/**
 * Checks every pattern of `data` (brain's forms: an array of `{ input, output }`, or one
 * such object; each side an array, a typed array, or a `{ name: value }` hash) before
 * brain formats or trains on any of it. Array-form sides must have the network's layer
 * size, or the first pattern's when the network has no layers yet; hash-form sides are
 * filled out by brain's lookup tables, so only their values are checked. Every side must
 * keep the form of the first pattern's, as brain formats them all alike.
 */
export function checkTrainingData(data: unknown, sizes: ExpectedSizes | null): void {
  const patterns = Array.isArray(data) ? data : [data];
  if (patterns.length === 0) throw new TrainingDataError("empty", "data", undefined, data);
  const forms: { input?: Form; output?: Form } = {};
  const lengths: { input?: number; output?: number } = sizes ? { ...sizes } : {};
  patterns.forEach((pattern: unknown, index) => {
    const path = Array.isArray(data) ? `data[${index}]` : "data";
    if (typeof pattern !== "object" || pattern === null) {
      throw new TrainingDataError("shape", path, "an object with input and output", pattern);
    }
    for (const side of ["input", "output"] as const) {
      const value = (pattern as Record<string, unknown>)[side];
      const sidePath = `${path}.${side}`;
      const form = formOf(value, sidePath);
      forms[side] ??= form;
      if (form !== forms[side]) {
        throw new TrainingDataError("shape", sidePath, `${forms[side]}-form like data[0].${side}`, value);
      }
      if (form === "hash") {
        for (const [key, x] of Object.entries(value as object)) checkValue(x, `${sidePath}.${key}`);
        continue;
      }
      const values = value as ArrayLike<unknown>;
      lengths[side] ??= values.length;
      if (values.length !== lengths[side]) {
        throw new TrainingDataError("length", sidePath, lengths[side], values.length);
      }
      for (let i = 0; i < values.length; i++) checkValue(values[i], `${sidePath}[${i}]`);
    }
  });
}

function formOf(value: unknown, path: string): Form {
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) return "array";
  if (typeof value === "object" && value !== null) return "hash";
  throw new TrainingDataError("shape", path, "an array, a typed array or a { name: value } object", value);
}

function checkValue(x: unknown, path: string): void {
  if (typeof x !== "number" || !Number.isFinite(x))
    throw new TrainingDataError("non-finite", path, "finite", x);
}

/** A short rendering of a culprit for messages: values as written, objects by their class. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value !== "object" || value === null) return String(value);
  return value.constructor?.name ?? "object";
}
