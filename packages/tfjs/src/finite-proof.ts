/**
 * `nonFinite: "throw"` without a check of every element on the device: a replayed step is
 * proven finite from what it computes anyway. Its sums of squares (the curvature's
 * Σ(g − prev)² per tensor, the clipping norm's Σg²) are added up on the device and that
 * one number is read back, with the few extra sums a proof needs (Σg² where nothing else
 * bounds a gradient, as on the first step; Σp² with weight decay) and, after a step that
 * was not proven, the range of the state. From it and from the state's ranges, carried
 * from step to step, interval arithmetic bounds every new parameter and state value. When
 * every bound is far below the largest float32, the step is finite; otherwise the
 * engine's generic step checks every element (and names the culprit).
 *
 * The bounds hold for float32 arithmetic: every operation's exact interval is widened by
 * more than its rounding, and a division or square root is trusted only when its operand
 * is kept away from 0 or from negative values. A parameter is taken to be finite before
 * the step, as the caller gave it.
 */
import type { PreparedStep } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import { Expr, type Operation } from "./expr.js";
import type { StepTrace } from "./step-trace.js";
import type { TensorOps } from "./tensor-ops.js";

type Interval = readonly [number, number];

/** Largest magnitude a proven result may have: far below the largest float32 (3.4e38). */
const SAFE = 1e30;
/** Relative widening per operation, above float32's rounding (2^-24). */
const RELATIVE = 2 ** -20;
/** Absolute widening, for results that underflow. */
const ABSOLUTE = 1e-30;
/** A divisor or a root's operand must be at least this far from 0. */
const AWAY_FROM_ZERO = 1e-30;
/** Float32's unit roundoff, for the rounding of sums. */
const UNIT = 2 ** -24;

const CODES: Readonly<Record<Operation, number>> = {
  add: 1,
  sub: 2,
  mul: 3,
  square: 4,
  div: 5,
  sqrt: 6,
  maximum: 7,
  minimum: 8,
  greater: 9,
  where: 10,
  sum: 11,
  sumSquares: 12,
};

/** A gradient or parameter and a sum of squares that bounds it: Σ(x − s)², or Σx². */
interface Bounding {
  readonly input: number;
  readonly sum: number;
  /** The node `s`, if any. */
  readonly minus: number;
}

/**
 * A trace's proof, compiled once: its nodes in evaluation order (leaves and operations,
 * by index), the sums of squares to read, and the nodes that must stay in range.
 */
interface Plan {
  readonly nodes: readonly Expr[];
  /** Per node: 0 for a leaf, else the operation's code; operands by index. */
  readonly code: Int8Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly c: Int32Array;
  /** Per node: the number of elements of a reduction's operand. */
  readonly size: Float64Array;
  /** Sums of squares read back (their total). */
  readonly reads: readonly number[];
  /** Nodes whose values add up to the total of the sums read (sums, or the step's own totals). */
  readonly totals: readonly number[];
  /** Nodes from this one on are sums of squares the step does not compute, added for the proof. */
  readonly extra: number;
  readonly bounding: readonly Bounding[];
  /** State leaves. */
  readonly state: readonly number[];
  /** Nodes that must be within the safe range: gradients, parameter changes, new state. */
  readonly bounded: readonly number[];
  /** Each state cell with the node of its new value. */
  readonly next: readonly (readonly [Expr, number])[];
  /** Per node: 1 for the sums read back. */
  readonly isRead: Uint8Array;
  /** Leaves known on the host: fixed constants with their float32 value, and step values. */
  readonly constants: readonly (readonly [number, number])[];
  readonly hostValues: readonly number[];
  /** Inputs (bounded from the sums read back). */
  readonly inputs: readonly number[];
  /** Every node's bounds, filled by each proof (reused: a proof is kept until its step commits). */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

const plans = new WeakMap<StepTrace, Plan>();

const sizeOf = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

function planOf(trace: StepTrace): Plan {
  const known = plans.get(trace);
  if (known !== undefined) return known;
  const { program } = trace;
  const nodes = [...program.nodes];
  // The proof works on the step's own graph: a difference fused into its sum keeps its node.
  const operands: number[][] = nodes.map((e) => e.args.map((arg) => program.nodes.indexOf(arg)));
  const inputAt = new Map<number, { grad: boolean; index: number }>();
  program.inputs.forEach((input, k) => {
    if (input !== undefined) inputAt.set(k, input);
  });
  const paramOf = new Map<number, number>();
  for (const [k, { grad, index }] of inputAt) if (!grad) paramOf.set(index, k);
  const bounded: number[] = [];
  // A new parameter p − d needs a bound on d only: p itself is not read.
  program.params.forEach((out, i) => {
    const param = paramOf.get(i);
    if (out === param) return;
    const node = nodes[out] as Expr;
    const [p, d] = operands[out] as number[];
    bounded.push(node.operation === "sub" && p === param ? (d as number) : out);
  });
  const { state } = trace.prepared;
  const next: [Expr, number][] = [
    ...state.slots.flatMap((own, i) =>
      Object.entries(own).map(
        ([slot, cell]) =>
          [cell, (program.slots[i]?.find(([name]) => name === slot) as [string, number])[1]] as [
            Expr,
            number,
          ],
      ),
    ),
    ...Object.entries(state.scalars).map(
      ([name, cell]) =>
        [cell, (program.scalars.find(([own]) => own === name) as [string, number])[1]] as [Expr, number],
    ),
  ];
  bounded.push(...next.map(([, node]) => node));
  const elements = (k: number): number => {
    const expr = nodes[k] as Expr;
    const input = inputAt.get(k);
    if (input !== undefined) return (trace.prepared.tensors[input.index] as { size: number }).size;
    if (expr.cell !== undefined) return sizeOf(expr.cell.shape);
    if (expr.operation === undefined || expr.operation === "sum" || expr.operation === "sumSquares") return 1;
    return Math.max(...(operands[k] as number[]).map(elements));
  };
  const reads: number[] = [];
  const bounding: Bounding[] = [];
  const boundedBy = (input: number, sum: number, minus: number) => bounding.push({ input, sum, minus });
  nodes.forEach((expr, k) => {
    if (expr.operation !== "sumSquares") return;
    reads.push(k);
    const operand = (operands[k] as number[])[0] as number;
    if (inputAt.has(operand)) boundedBy(operand, k, -1);
    const [left, right] = operands[operand] as number[];
    if (
      nodes[operand]?.operation === "sub" &&
      left !== undefined &&
      right !== undefined &&
      inputAt.has(left) &&
      nodes[right]?.operation === undefined
    ) {
      boundedBy(left, k, right);
    }
  });
  // Every gradient is bounded (a NaN in one must show), and every parameter the step
  // reads besides taking its change from it (weight decay).
  const uses = new Uint32Array(nodes.length);
  for (const list of operands) for (const k of list) uses[k] = (uses[k] as number) + 1;
  const changeUses = (index: number) => {
    const out = program.params[index] as number;
    return nodes[out]?.operation === "sub" && operands[out]?.[0] === paramOf.get(index) ? 1 : 0;
  };
  const extra = nodes.length;
  for (const [input, { grad, index }] of inputAt) {
    if (grad) bounded.push(input);
    else if ((uses[input] as number) <= changeUses(index)) continue;
    if (bounding.some((entry) => entry.input === input)) continue;
    const read = nodes.length;
    nodes.push(Expr.apply("sumSquares", nodes[input] as Expr));
    operands.push([input]);
    reads.push(read);
    boundedBy(input, read, -1);
  }
  // The step adds its sums up itself (the curvature's total): read those totals, so that
  // adding them up needs no kernel of its own when one total covers every sum.
  const covers = new Map<number, Set<number>>();
  const readSet = new Set(reads);
  nodes.forEach((e, k) => {
    if (readSet.has(k)) covers.set(k, new Set([k]));
    else if (e.operation === "add") {
      const [x, y] = operands[k] as number[];
      const left = covers.get(x as number);
      const right = covers.get(y as number);
      if (left !== undefined && right !== undefined) covers.set(k, new Set([...left, ...right]));
    }
  });
  const totals: number[] = [];
  const covered = new Set<number>();
  for (const k of [...covers.keys()].sort(
    (x, y) => (covers.get(y)?.size ?? 0) - (covers.get(x)?.size ?? 0),
  )) {
    const sums = covers.get(k) as Set<number>;
    if ([...sums].some((r) => covered.has(r))) continue;
    totals.push(k);
    for (const r of sums) covered.add(r);
  }
  const n = nodes.length;
  const isRead = new Uint8Array(n);
  for (const k of reads) isRead[k] = 1;
  const leaves = nodes.flatMap((e, k) => (e.operation === undefined && e.origin !== "state" ? [k] : []));
  const plan: Plan = {
    lo: new Float64Array(n),
    hi: new Float64Array(n),
    totals,
    isRead,
    constants: leaves.flatMap((k) => {
      const e = nodes[k] as Expr;
      return e.origin === "constant" && e.hostName === undefined
        ? [[k, Math.fround(e.constant as number)] as const]
        : [];
    }),
    hostValues: leaves.filter((k) => nodes[k]?.hostName !== undefined),
    inputs: leaves.filter((k) => inputAt.has(k)),
    nodes,
    code: Int8Array.from(nodes, (e) => (e.operation === undefined ? 0 : CODES[e.operation])),
    a: Int32Array.from(operands, (args) => args[0] ?? -1),
    b: Int32Array.from(operands, (args) => args[1] ?? -1),
    c: Int32Array.from(operands, (args) => args[2] ?? -1),
    size: Float64Array.from({ length: n }, (_, k) =>
      nodes[k]?.operation === "sum" || nodes[k]?.operation === "sumSquares"
        ? elements((operands[k] as number[])[0] as number)
        : 1,
    ),
    reads,
    extra,
    bounding,
    state: nodes.flatMap((e, k) => (e.origin === "state" ? [k] : [])),
    bounded,
    next,
  };
  plans.set(trace, plan);
  return plan;
}

function rangeOfHost(values: ArrayLike<number>): Interval {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/** Lower and upper products of two intervals, written into `out` (NaN for ∞ · 0). */
function product(al: number, ah: number, bl: number, bh: number, out: Float64Array): void {
  const p1 = al * bl;
  const p2 = al * bh;
  const p3 = ah * bl;
  const p4 = ah * bh;
  out[0] = Math.min(Math.min(p1, p2), Math.min(p3, p4));
  out[1] = Math.max(Math.max(p1, p2), Math.max(p3, p4));
}

const scratch = new Float64Array(2);

/** The exact interval of node `k` from its operands', widened by more than float32 rounds it. */
function operate(plan: Plan, k: number, lo: Float64Array, hi: Float64Array): void {
  const x = plan.a[k] as number;
  const y = plan.b[k] as number;
  const xl = lo[x] as number;
  const xh = hi[x] as number;
  const yl = y < 0 ? 0 : (lo[y] as number);
  const yh = y < 0 ? 0 : (hi[y] as number);
  let l = Number.NEGATIVE_INFINITY;
  let h = Number.POSITIVE_INFINITY;
  switch (plan.code[k]) {
    case 1:
      l = xl + yl;
      h = xh + yh;
      break;
    case 2:
      l = xl - yh;
      h = xh - yl;
      break;
    case 3:
      product(xl, xh, yl, yh, scratch);
      l = scratch[0] as number;
      h = scratch[1] as number;
      break;
    case 4:
      h = Math.max(xl * xl, xh * xh);
      l = xl <= 0 && xh >= 0 ? 0 : Math.min(xl * xl, xh * xh);
      break;
    case 5:
      if (yl >= AWAY_FROM_ZERO || yh <= -AWAY_FROM_ZERO) {
        product(xl, xh, 1 / yh, 1 / yl, scratch);
        l = scratch[0] as number;
        h = scratch[1] as number;
      }
      break;
    case 6:
      if (xl >= 0) {
        l = Math.sqrt(xl);
        h = Math.sqrt(xh);
      }
      break;
    case 7:
      l = Math.max(xl, yl);
      h = Math.max(xh, yh);
      break;
    case 8:
      l = Math.min(xl, yl);
      h = Math.min(xh, yh);
      break;
    case 9:
      l = 0;
      h = 1;
      break;
    case 10: {
      const z = plan.c[k] as number;
      l = Math.min(yl, lo[z] as number);
      h = Math.max(yh, hi[z] as number);
      break;
    }
    case 11:
      l = (plan.size[k] as number) * xl;
      h = (plan.size[k] as number) * xh;
      break;
    case 12:
      l = 0;
      h = (plan.size[k] as number) * Math.max(xl * xl, xh * xh);
      break;
  }
  // ∞ · 0 is no bound at all.
  if (Number.isNaN(l) || Number.isNaN(h)) {
    l = Number.NEGATIVE_INFINITY;
    h = Number.POSITIVE_INFINITY;
  }
  // A bound of 0 stays 0: rounding keeps the sign of a result whose exact value has one.
  lo[k] = l > 0 ? Math.max(0, l - l * RELATIVE - ABSOLUTE) : l < 0 ? l * (1 + RELATIVE) - ABSOLUTE : 0;
  hi[k] = h > 0 ? h * (1 + RELATIVE) + ABSOLUTE : h < 0 ? Math.min(0, h - h * RELATIVE + ABSOLUTE) : 0;
}

/**
 * Proves the replayed step finite, reading back one number (the total of the sums of
 * squares a proof needs; with the state's range after a step that was not proven).
 * Returns the ranges of the new state values (keep them with {@link keepRanges} once the
 * step is committed), or undefined when the bounds do not prove it: then the generic step
 * must check every element.
 */
export function proveFinite(
  ops: TensorOps,
  trace: StepTrace,
  tensors: readonly (tf.Tensor | undefined)[],
): Proof | undefined {
  const plan = planOf(trace);
  const { nodes, lo, hi } = plan;
  const measure: number[] = [];
  for (const k of plan.state) {
    const cell = nodes[k] as Expr;
    const host = cell.cell?.host;
    const range =
      cell.cell?.range ?? (cell.isZero ? [0, 0] : host === undefined ? undefined : rangeOfHost(host));
    if (range === undefined) {
      measure.push(k);
    } else {
      lo[k] = range[0];
      hi[k] = range[1];
    }
  }
  const sumAt = (k: number) =>
    k >= plan.extra
      ? ops.kernel("sumSquares", tensors[plan.a[k] as number] as tf.Tensor)
      : (tensors[k] as tf.Tensor);
  const read =
    measure.length === 0 && plan.totals.length === 1
      ? sumAt(plan.totals[0] as number)
      : tf.tidy(() => {
          const sums = plan.totals.map(sumAt);
          const total = sums.length === 1 ? (sums[0] as tf.Tensor) : tf.addN(sums);
          if (measure.length === 0) return total;
          const extremes = measure.flatMap((k) => [
            tf.min(tensors[k] as tf.Tensor),
            tf.max(tensors[k] as tf.Tensor),
          ]);
          return tf.stack([total, ...extremes]);
        });
  // The step's tidy frees it (a single sum is the step's own tensor).
  const values = read.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v !== 0) return undefined;
  }
  measure.forEach((k, i) => {
    lo[k] = values[1 + 2 * i] as number;
    hi[k] = values[2 + 2 * i] as number;
  });
  // Each sum of squares is at most the total, up to the rounding of adding them up.
  const total = (values[0] as number) * (1 + (plan.reads.length + 2) * UNIT);
  for (const k of plan.reads) {
    lo[k] = 0;
    hi[k] = total;
  }
  for (const [k, value] of plan.constants) {
    lo[k] = value;
    hi[k] = value;
  }
  for (const k of plan.hostValues) {
    const value = Math.fround(ops.valueOf(nodes[k] as Expr) as number);
    lo[k] = value;
    hi[k] = value;
  }
  for (const k of plan.inputs) {
    lo[k] = Number.NEGATIVE_INFINITY;
    hi[k] = Number.POSITIVE_INFINITY;
  }
  // |x − s| for every element, from Σ(x − s)² as float32 summed its n terms.
  for (const { input, sum, minus } of plan.bounding) {
    const n = plan.size[sum] as number;
    const radius = Math.sqrt((hi[sum] as number) * (1 + (n + 4) * 2 * UNIT)) * (1 + RELATIVE) + 1e-18;
    lo[input] = Math.max(lo[input] as number, (minus < 0 ? 0 : (lo[minus] as number)) - radius);
    hi[input] = Math.min(hi[input] as number, (minus < 0 ? 0 : (hi[minus] as number)) + radius);
  }
  const { code, isRead } = plan;
  for (let k = 0; k < nodes.length; k++) {
    if (code[k] !== 0 && isRead[k] === 0) operate(plan, k, lo, hi);
  }
  for (const k of plan.bounded) {
    if (!((lo[k] as number) >= -SAFE && (hi[k] as number) <= SAFE)) return undefined;
  }
  return { plan, lo, hi };
}

/** A proven step: the bounds of its nodes, the new state's among them. */
export interface Proof {
  readonly plan: Plan;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

/** Keeps the ranges of committed state for the next step's proof. */
export function keepRanges({ plan, lo, hi }: Proof): void {
  for (const [cell, k] of plan.next)
    if (cell.cell !== undefined) cell.cell.range = [lo[k] as number, hi[k] as number];
}

/** Forgets the ranges of state committed without a proof (they are measured when next needed). */
export function forgetRanges(prepared: PreparedStep<Expr>): void {
  for (const own of prepared.state.slots)
    for (const cell of Object.values(own)) if (cell.cell) cell.cell.range = undefined;
  for (const cell of Object.values(prepared.state.scalars)) if (cell.cell) cell.cell.range = undefined;
}
