/**
 * A step recorded once and replayed: the engine's generic step (core's `runStep`) builds
 * the step as {@link Expr}s, folding what is exactly 0 or 1. That graph depends only on
 * the algorithm, the tensor set, the state objects, which state is still all zeros, and
 * which host values (blend weight, rates, bias corrections, the first-step test) are
 * exactly 0, exactly 1 or neither. While those stay the same, later steps run the same
 * kernels in the same order on their own gradients, parameters and host values, from a
 * list compiled once, without building the step again.
 */
import { type Algorithm, type PreparedStep, runStep, type StepOutcome } from "@a2s/core";
import type * as tf from "@tensorflow/tfjs-core";
import { Expr } from "./expr.js";
import type { Kernel, TensorOps } from "./tensor-ops.js";

/** How a recorded host value folded: exactly 0, exactly 1, or neither. */
type Fold = 0 | 1 | 2;
const foldOf = (value: number): Fold => (value === 0 ? 0 : value === 1 ? 1 : 2);

/** A recorded input: the parameter or the gradient of the tensor at `index`. */
export interface RecordedInput {
  readonly grad: boolean;
  readonly index: number;
}

/** The recorded step as a list: every node once, operands before the nodes that use them. */
export interface Program {
  readonly nodes: readonly Expr[];
  /** Per node: the kernel it runs; undefined for a leaf or a difference fused into its sum. */
  readonly kernels: readonly (Kernel | undefined)[];
  /** Per node: the nodes its kernel takes. */
  readonly operands: readonly (readonly number[])[];
  /** Per node: the input it stands for, if it is one. */
  readonly inputs: readonly (RecordedInput | undefined)[];
  readonly params: readonly number[];
  readonly slots: readonly (readonly (readonly [string, number])[])[];
  readonly scalars: readonly (readonly [string, number])[];
  readonly published: readonly (readonly [string, number])[];
}

export interface StepTrace {
  readonly algorithm: Algorithm;
  readonly prepared: Pick<PreparedStep<Expr>, "tensors" | "state">;
  /** Each host value: the function of the step count it comes from, and how it folded. */
  readonly hosts: readonly (readonly [string, (t: number) => number, Fold])[];
  /**
   * State cells that were all zeros (folded as 0) when recorded. The others cannot become
   * zeros again: a step commits values into them, and a load replaces the state objects.
   */
  readonly zeroCells: readonly Expr[];
  readonly program: Program;
}

function compile(
  result: ReturnType<typeof runStep<Expr>>,
  inputOf: ReadonlyMap<Expr, RecordedInput>,
): Program {
  const nodes: Expr[] = [];
  const index = new Map<Expr, number>();
  const args: number[][] = [];
  const uses: number[] = [];
  const visit = (expr: Expr): number => {
    const seen = index.get(expr);
    if (seen !== undefined) {
      uses[seen] = (uses[seen] as number) + 1;
      return seen;
    }
    const operands = expr.operation === undefined ? [] : expr.args.map(visit);
    index.set(expr, nodes.length);
    nodes.push(expr);
    args.push(operands);
    uses.push(1);
    return nodes.length - 1;
  };
  const params = result.params.map(visit);
  const slots = result.slots.map((own) => Object.entries(own).map(([slot, v]) => [slot, visit(v)] as const));
  const scalars = Object.entries(result.scalars).map(([name, v]) => [name, visit(v)] as const);
  const published = [...result.published].map(([name, v]) => [name, visit(v)] as const);
  const kernels: (Kernel | undefined)[] = nodes.map((e) => e.operation);
  const operands = args.map((list) => [...list]);
  nodes.forEach((expr, k) => {
    const inner = args[k]?.[0];
    // Σ(x − y)² whose difference nothing else uses: one squaredDifference kernel.
    if (
      expr.operation === "sumSquares" &&
      inner !== undefined &&
      nodes[inner]?.operation === "sub" &&
      uses[inner] === 1
    ) {
      kernels[k] = "squaredDifferenceSum";
      kernels[inner] = undefined;
      operands[k] = [...(args[inner] as number[])];
    }
  });
  return {
    nodes,
    kernels,
    operands,
    inputs: nodes.map((e) => inputOf.get(e)),
    params,
    slots,
    scalars,
    published,
  };
}

/** Records the step `prepared` of `algorithm` (nothing is evaluated). */
export function recordStep(ops: TensorOps, algorithm: Algorithm, prepared: PreparedStep<Expr>): StepTrace {
  const inputOf = new Map<Expr, RecordedInput>();
  const params: Expr[] = [];
  const grads: Expr[] = [];
  prepared.inputs.forEach((input, index) => {
    const param = Expr.input(input.param.tensor as tf.Tensor);
    const grad = Expr.input(input.grad.tensor as tf.Tensor);
    inputOf.set(param, { grad: false, index });
    inputOf.set(grad, { grad: true, index });
    params.push(param);
    grads.push(grad);
  });
  const hosts: [string, (t: number) => number, Fold][] = [];
  const result = runStep({
    ops,
    algorithm,
    tensors: prepared.tensors,
    t: prepared.t,
    params,
    grads,
    state: prepared.state,
    like: grads[0] as Expr,
    // The engine's local sums (no allReduce): each tensor's partial added in tensor order.
    reduce: (partials) => partials.map((list) => list.reduce((a, b) => ops.add(a, b))),
    onHostValue: (name, at) => {
      hosts.push([name, at, foldOf(at(prepared.t))]);
    },
  });
  const { state } = prepared;
  const cells = [...state.slots.flatMap((own) => Object.values(own)), ...Object.values(state.scalars)];
  return {
    algorithm,
    prepared: { tensors: prepared.tensors, state },
    hosts,
    zeroCells: cells.filter((cell) => cell.isZero),
    program: compile(result, inputOf),
  };
}

/**
 * This step's host values, when `trace` replays step `prepared`; undefined when the step
 * would fold otherwise (record it again).
 *
 * @throws InvalidOptionError a schedule that leaves its range at this step.
 */
export function hostValuesFor(
  trace: StepTrace,
  algorithm: Algorithm,
  prepared: PreparedStep<Expr>,
): Map<string, number> | undefined {
  if (
    trace.algorithm !== algorithm ||
    trace.prepared.tensors !== prepared.tensors ||
    trace.prepared.state !== prepared.state
  ) {
    return undefined;
  }
  for (const cell of trace.zeroCells) if (!cell.isZero) return undefined;
  const values = new Map<string, number>();
  for (const [name, at, fold] of trace.hosts) {
    const value = at(prepared.t);
    if (foldOf(value) !== fold) return undefined;
    values.set(name, value);
  }
  return values;
}

/**
 * Runs the recorded step on this step's inputs (the host values were given to
 * `ops.beginStep`) and returns it as the engine commits it, with every node's tensor: a
 * recorded input stands for this step's input, a host value for this step's value.
 */
export function replayStep(
  ops: TensorOps,
  trace: StepTrace,
  prepared: PreparedStep<Expr>,
): { outcome: StepOutcome<Expr>; tensors: (tf.Tensor | undefined)[] } {
  const { nodes, kernels, operands, inputs } = trace.program;
  const tensors: (tf.Tensor | undefined)[] = new Array(nodes.length);
  const inputAt = (input: RecordedInput): Expr => {
    const given = prepared.inputs[input.index];
    return (input.grad ? given?.grad : given?.param) as Expr;
  };
  for (let k = 0; k < nodes.length; k++) {
    const kernel = kernels[k];
    const node = nodes[k] as Expr;
    if (node.operation === undefined) {
      const input = inputs[k];
      tensors[k] = input === undefined ? ops.leaf(node) : inputAt(input).tensor;
    } else if (kernel !== undefined) {
      const args = operands[k] as number[];
      tensors[k] = ops.kernel(
        kernel,
        tensors[args[0] as number] as tf.Tensor,
        args.length > 1 ? tensors[args[1] as number] : undefined,
        args.length > 2 ? tensors[args[2] as number] : undefined,
      );
    }
  }
  const out = (k: number): Expr => {
    const input = inputs[k];
    if (input !== undefined) return inputAt(input);
    const node = nodes[k] as Expr;
    if (node.origin === "state") return node;
    if (node.origin === "constant") {
      return node.hostName === undefined ? node : Expr.constant(ops.valueOf(node) as number, node.hostName);
    }
    return Expr.tensor(tensors[k] as tf.Tensor);
  };
  const { program } = trace;
  const exact = new Map<string, number>();
  for (const [name, k] of program.published) {
    if (nodes[k]?.hostName !== undefined) exact.set(name, ops.valueOf(nodes[k] as Expr) as number);
  }
  const entries = (list: readonly (readonly [string, number])[]) => {
    const record: Record<string, Expr> = {};
    for (const [name, k] of list) record[name] = out(k);
    return record;
  };
  return {
    outcome: {
      params: program.params.map(out),
      slots: program.slots.map(entries),
      scalars: entries(program.scalars),
      published: new Map(program.published.map(([name, k]) => [name, out(k)])),
      exact,
    },
    tensors,
  };
}
