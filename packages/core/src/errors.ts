/**
 * Typed errors shared by every adapter. Each names the culprit (an option, a tensor, a
 * checkpoint field) and the offending value, and is thrown before any state changes.
 */

export type A2SErrorCode =
  | "INVALID_OPTION"
  | "NON_FINITE_GRADIENT"
  | "NON_FINITE_RESULT"
  | "TENSOR_MISMATCH"
  | "INVALID_CHECKPOINT"
  | "INVALID_CALL"
  | "INVALID_TRAINING_DATA";

/** Base class: `instanceof A2SError` catches every error this project throws on purpose. */
export class A2SError extends Error {
  readonly code: A2SErrorCode;
  constructor(code: A2SErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A hyperparameter that is unknown, of the wrong type or out of range. */
export class InvalidOptionError extends A2SError {
  readonly option: string;
  readonly value: unknown;
  /** What the option must be, e.g. `"a number in [0, 1)"`. */
  readonly requirement: string;
  constructor(option: string, value: unknown, requirement: string) {
    super("INVALID_OPTION", `option ${option} must be ${requirement}; got ${describe(value)}`);
    this.option = option;
    this.value = value;
    this.requirement = requirement;
  }
}

/** A gradient holding NaN or ±Infinity. `index` is the flat index of the first bad element. */
export class NonFiniteGradientError extends A2SError {
  readonly tensor: string;
  readonly index: number;
  readonly value: number;
  constructor(tensor: string, index: number, value: number) {
    super(
      "NON_FINITE_GRADIENT",
      `gradient ${tensor} has a non-finite value ${value} at index ${index}; nothing was updated`,
    );
    this.tensor = tensor;
    this.index = index;
    this.value = value;
  }
}

/**
 * A step whose gradients are finite but whose results are not: squares that overflow
 * (|g| above about 1.8e19 in float32), a learning rate large enough to push a parameter
 * past the largest float. `slot` is `"param"` or the state slot that would not be finite.
 */
export class NonFiniteResultError extends A2SError {
  readonly tensor: string;
  readonly slot: string;
  readonly index: number;
  readonly value: number;
  constructor(tensor: string, slot: string, index: number, value: number) {
    const what = slot === "param" ? `parameter ${tensor}` : `state ${slot} of ${tensor}`;
    super(
      "NON_FINITE_RESULT",
      `the step would make ${what} non-finite (${value} at index ${index}); nothing was updated`,
    );
    this.tensor = tensor;
    this.slot = slot;
    this.index = index;
    this.value = value;
  }
}

export type TensorMismatchKind = "missing" | "unexpected" | "length" | "dtype" | "type";

/** Parameters, gradients and optimizer state that do not line up. */
export class TensorMismatchError extends A2SError {
  readonly tensor: string;
  readonly kind: TensorMismatchKind;
  readonly expected: unknown;
  readonly actual: unknown;
  constructor(tensor: string, kind: TensorMismatchKind, expected: unknown, actual: unknown, what = "") {
    const subject = what ? `${what} ${tensor}` : `tensor ${tensor}`;
    const text: Record<TensorMismatchKind, string> = {
      missing: `${subject} is missing (expected because ${describe(expected)})`,
      unexpected: `${subject} is not one this optimizer knows (it knows ${describe(expected)})`,
      length: `${subject} has ${describe(actual)} elements, expected ${describe(expected)}`,
      dtype: `${subject} is ${describe(actual)}, expected ${describe(expected)}`,
      type: `${subject} must be ${describe(expected)}; got ${describe(actual)}`,
    };
    super("TENSOR_MISMATCH", `${text[kind]}; nothing was updated`);
    this.tensor = tensor;
    this.kind = kind;
    this.expected = expected;
    this.actual = actual;
  }
}

export type CheckpointProblem =
  | "magic"
  | "version"
  | "algorithm"
  | "truncated"
  | "checksum"
  | "header"
  | "data"
  | "tensors";

/** A checkpoint that is not ours, of another format version or algorithm, or damaged. */
export class CheckpointError extends A2SError {
  readonly problem: CheckpointProblem;
  constructor(problem: CheckpointProblem, detail: string) {
    super("INVALID_CHECKPOINT", `checkpoint refused (${problem}): ${detail}; nothing was loaded`);
    this.problem = problem;
  }
}

/**
 * A call the optimizer cannot serve in its current state (used after `dispose()`, a
 * sharding callback that breaks its contract, a synchronous call that needs to wait).
 */
export class InvalidCallError extends A2SError {
  /** The method or callback at fault. */
  readonly operation: string;
  constructor(operation: string, detail: string) {
    super("INVALID_CALL", `${operation}: ${detail}; nothing was updated`);
    this.operation = operation;
  }
}

/** A short printable rendering of any value, for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) return String(value);
  if (value instanceof RegExp) return String(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `[${value.map(describe).join(", ")}]`;
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
