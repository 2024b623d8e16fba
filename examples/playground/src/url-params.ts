/**
 * The page's query string: `?autorun&stack=typed&optimizer=a2s&steps=200` trains without a
 * click (what is not given takes the form's value). Also `seed`, `evalEvery`, and any
 * option of the chosen optimizer by its name (`&lrAdam=0.002`). Anything unknown or out of
 * range is refused by name.
 */
import {
  isOptimizerId,
  type NumericOptions,
  OPTIMIZER_IDS,
  OPTIMIZERS,
  type OptimizerId,
} from "./optimizers.js";
import { isStackId, STACK_IDS, type StackId } from "./stacks/registry.js";

/** A query parameter the page cannot use; `param` names it. */
export class UrlParamError extends Error {
  readonly param: string;
  constructor(param: string, detail: string) {
    super(`URL parameter ${param}: ${detail}`);
    this.name = "UrlParamError";
    this.param = param;
  }
}

export interface PageParams {
  autorun: boolean;
  stack?: StackId;
  optimizer?: OptimizerId;
  steps?: number;
  seed?: number;
  evalEvery?: number;
  /** Options of `optimizer` given in the URL (over the form's values). */
  options: NumericOptions;
}

const WHOLE_NUMBERS = { steps: [1, 100_000], seed: [0, 2 ** 32 - 1], evalEvery: [1, 100_000] } as const;

export function parsePageParams(search: string): PageParams {
  const query = new URLSearchParams(search);
  const params: PageParams = { autorun: query.has("autorun"), options: {} };
  const stack = query.get("stack");
  if (stack !== null) {
    if (!isStackId(stack)) throw new UrlParamError("stack", `${stack} is not one of ${STACK_IDS.join(", ")}`);
    params.stack = stack;
  }
  const optimizer = query.get("optimizer");
  if (optimizer !== null) {
    if (!isOptimizerId(optimizer)) {
      throw new UrlParamError("optimizer", `${optimizer} is not one of ${OPTIMIZER_IDS.join(", ")}`);
    }
    params.optimizer = optimizer;
  }
  for (const [name, [min, max]] of Object.entries(WHOLE_NUMBERS) as [
    keyof typeof WHOLE_NUMBERS,
    readonly [number, number],
  ][]) {
    const text = query.get(name);
    if (text === null) continue;
    const value = Number(text);
    if (!(text.trim() !== "" && Number.isInteger(value) && value >= min && value <= max)) {
      throw new UrlParamError(name, `${text} is not a whole number in ${min}..${max}`);
    }
    params[name] = value;
  }
  const fields = params.optimizer ? OPTIMIZERS[params.optimizer].fields : [];
  for (const [name, text] of query) {
    if (
      name === "autorun" ||
      name === "stack" ||
      name === "optimizer" ||
      Object.hasOwn(WHOLE_NUMBERS, name)
    ) {
      continue;
    }
    if (!fields.includes(name)) {
      const which = params.optimizer ? `an option of ${params.optimizer}` : "known (options need optimizer=)";
      throw new UrlParamError(name, `not ${which}`);
    }
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value))
      throw new UrlParamError(name, `${text} is not a number`);
    params.options[name] = value;
  }
  return params;
}
