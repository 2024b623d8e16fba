/**
 * The symbolic {@link ArrayOps} backend: every operation appends an ONNX node to a
 * {@link GraphBuilder} instead of computing. Running core's `runStep` once against it
 * records an optimizer step as a graph; the math is core's, not written again here.
 *
 * Operations whose result is known when the step is recorded add no node: two constants
 * give a constant (computed on the host in the graph's element type, which IEEE
 * arithmetic makes the graph's own result), and exact identities give their operand
 * (`x * 1`, `x / 1`, `x + 0`, `x - 0`, a `where` whose condition is a constant). A product
 * with an exact 0 is 0 without its other factor, as IEEE arithmetic gives it for every
 * finite factor; a factor that is not finite is a result the step checks on its own (see
 * {@link SymbolicOps.carriers}). These identities hold up to the sign of a zero.
 *
 * A host value of the step can be pinned to the value it has (see pins.ts): it then
 * records as a constant, and the identities above remove what it multiplies by 0 or 1.
 */
import type { ArrayOps } from "@a2s/core";
import type { GraphBuilder, Sym } from "./graph-builder.js";

/** ONNX's `to` attribute value of Cast for bool. */
const BOOL = 9;
const CAST_TO = { float32: 1, float64: 11 } as const;

type Dims = readonly number[];

const SCALAR: Dims = Object.freeze([]);

const sizeOf = (dims: Dims) => dims.reduce((a, b) => a * b, 1);

/** The shape of an elementwise result: operands are scalars or all of one shape. */
function broadcast(...all: Dims[]): Dims {
  return all.find((dims) => dims.length > 0) ?? SCALAR;
}

/** The host arithmetic of a constant result, rounded to the graph's element type. */
function roundTo(dtype: string): (x: number) => number {
  return dtype === "float32" ? Math.fround : (x) => x;
}

/** Records core's array operations as nodes of `graph`. */
export class SymbolicOps implements ArrayOps<Sym> {
  /** Host values fed as inputs: graph input by the name the step gave it, in order of appearance. */
  readonly stepInputs = new Map<string, Sym>();
  /** Host values recorded as constants (pinned), by the name the step gave them. */
  readonly pinnedInputs = new Map<string, Sym>();
  /**
   * For each value a node computes, the operands of which a NaN or ±Infinity element
   * always makes some element of the result NaN or ±Infinity too (`a + b`, `a * b`, a
   * numerator, a sum, a square root: yes; a denominator, `max`, `where`: no).
   */
  readonly carriers = new Map<string, readonly Sym[]>();
  /** The value of each scalar constant, by graph name. */
  private readonly constantValues = new Map<string, number>();
  /** The bool each 0/1 value of `greater` came from, so `where` needs no cast back. */
  private readonly conditions = new Map<string, Sym>();
  /** The shape a value has in the graph. */
  private readonly physical = new WeakMap<Sym, Dims>();
  /**
   * The shape the transforms see, where it differs from the graph's: a constant that
   * stands for a tensor of equal elements (a product with 0), broadcast where it is used.
   */
  private readonly logical = new WeakMap<Sym, Dims>();
  readonly #elements = new Map<string, number>();

  constructor(
    private readonly graph: GraphBuilder,
    /** Graph input name of a host value, from the name the step gives it. */
    private readonly inputName: (name: string) => string,
    /** Host values to record as constants, by the name the step gives them. */
    private readonly pins: ReadonlyMap<string, number> = new Map(),
  ) {}

  /** Declares the shape of a value made outside these operations (an input, a model's gradient). */
  declare(sym: Sym, dims: Dims): Sym {
    this.physical.set(sym, dims);
    return sym;
  }

  /** The shape of `sym` in the graph. */
  dimsOf(sym: Sym): Dims {
    return this.physical.get(sym) ?? SCALAR;
  }

  /** The shape the transforms gave `sym`, which a constant may stand for. */
  logicalDimsOf(sym: Sym): Dims {
    return this.logical.get(sym) ?? this.dimsOf(sym);
  }

  /** The value of `sym` if it is a constant scalar. */
  constantOf(sym: Sym): number | undefined {
    return this.constantValues.get(sym.name);
  }

  scalar(value: number, like: Sym): Sym {
    const dtype = floatType(like);
    const sym = this.graph.constant(roundTo(dtype)(value), dtype);
    this.constantValues.set(sym.name, roundTo(dtype)(value));
    return this.declare(sym, SCALAR);
  }

  add(a: Sym, b: Sym): Sym {
    return (
      this.#fold([a, b], (x, y) => x + y) ??
      this.#identity(a, b, 0) ??
      this.#identity(b, a, 0) ??
      this.#node("Add", [a, b], [a, b])
    );
  }
  sub(a: Sym, b: Sym): Sym {
    return (
      this.#fold([a, b], (x, y) => x - y) ?? this.#identity(a, b, 0) ?? this.#node("Sub", [a, b], [a, b])
    );
  }
  mul(a: Sym, b: Sym): Sym {
    return (
      this.#fold([a, b], (x, y) => x * y) ??
      this.#identity(a, b, 1) ??
      this.#identity(b, a, 1) ??
      this.#zero(a, b) ??
      this.#node("Mul", [a, b], [a, b])
    );
  }
  div(a: Sym, b: Sym): Sym {
    return this.#fold([a, b], (x, y) => x / y) ?? this.#identity(a, b, 1) ?? this.#node("Div", [a, b], [a]);
  }
  sqrt(a: Sym): Sym {
    return this.#fold([a], Math.sqrt) ?? this.#node("Sqrt", [a], [a]);
  }
  maximum(a: Sym, b: Sym): Sym {
    return this.#fold([a, b], Math.max) ?? this.#node("Max", [a, b], []);
  }
  minimum(a: Sym, b: Sym): Sym {
    return this.#fold([a, b], Math.min) ?? this.#node("Min", [a, b], []);
  }
  greater(a: Sym, b: Sym): Sym {
    const known = this.#fold([a, b], (x, y) => (x > y ? 1 : 0));
    if (known) return known;
    const condition = this.#node("Greater", [a, b], [], {}, "bool");
    const value = this.#node("Cast", [condition], [], { to: CAST_TO[floatType(a)] }, a.dtype);
    this.conditions.set(value.name, condition);
    return value;
  }
  where(condition: Sym, a: Sym, b: Sym): Sym {
    const known = this.constantOf(condition);
    const shape = broadcast(...[condition, a, b].map((x) => this.logicalDimsOf(x)));
    if (known !== undefined) {
      const chosen = known !== 0 ? a : b;
      // A scalar chosen for a tensor is broadcast by its uses, but a sum must see the tensor.
      if (sizeOf(this.logicalDimsOf(chosen)) === sizeOf(shape) || this.constantOf(chosen) === 0) {
        return this.#standFor(chosen, shape);
      }
    }
    const bool =
      this.conditions.get(condition.name) ?? this.#node("Cast", [condition], [], { to: BOOL }, "bool");
    return this.#node("Where", [bool, a, b], [], {}, a.dtype);
  }
  sum(a: Sym): Sym {
    return this.#reduce("ReduceSum", a);
  }
  sumSquares(a: Sym): Sym {
    return this.#reduce("ReduceSumSquare", a);
  }

  /** A rank-0 graph input fed at each step with the host value of that step, or its pinned constant. */
  stepScalar(name: string, _value: number, like: Sym): Sym {
    const pinned = this.pins.get(name);
    if (pinned !== undefined) {
      // An object of its own, so that the value is known as this host value's (a published `w`).
      const sym: Sym = { ...this.scalar(pinned, like) };
      this.declare(sym, SCALAR);
      this.pinnedInputs.set(name, sym);
      return sym;
    }
    let sym = this.stepInputs.get(name);
    if (!sym) {
      sym = this.declare(this.graph.input(this.inputName(name), floatType(like), []), SCALAR);
      this.stepInputs.set(name, sym);
    }
    return sym;
  }

  /**
   * `sym` as a value of the graph in the shape the transforms gave it: a constant that
   * stands for a tensor becomes one (an Expand), for an output of that shape.
   */
  materialize(sym: Sym): Sym {
    const dims = this.logicalDimsOf(sym);
    if (sizeOf(dims) === sizeOf(this.dimsOf(sym)) && dims.length === this.dimsOf(sym).length) return sym;
    const expanded = this.graph.node("Expand", [sym, this.graph.constant([...dims], "int64")], sym.dtype);
    this.#elements.set(expanded.name, sizeOf(dims));
    return this.declare(expanded, dims);
  }

  /** The number of elements each recorded node computes, by the name of the value it gives. */
  nodeElements(): IterableIterator<[string, number]> {
    return this.#elements.entries();
  }

  #node(
    opType: string,
    inputs: readonly Sym[],
    carriers: readonly Sym[],
    attributes: Readonly<Record<string, number>> = {},
    dtype = inputs[0]?.dtype ?? "float32",
  ): Sym {
    // An operand that stands for a tensor is broadcast by the node itself.
    const result = this.graph.node(opType, inputs, dtype, attributes);
    const dims = broadcast(...inputs.map((x) => this.dimsOf(x)));
    this.declare(result, dims);
    const logical = broadcast(...inputs.map((x) => this.logicalDimsOf(x)));
    if (sizeOf(logical) !== sizeOf(dims) || logical.length !== dims.length) this.logical.set(result, logical);
    this.#elements.set(result.name, sizeOf(dims));
    // An empty result carries nothing, whatever its operands hold.
    if (sizeOf(logical) > 0 && carriers.length > 0) this.carriers.set(result.name, carriers);
    return result;
  }

  #reduce(opType: string, a: Sym): Sym {
    const value = this.constantOf(a);
    // A sum of zeros is 0 however many there are; any other constant standing for a tensor
    // is summed as the tensor it stands for.
    if (value === 0) return this.scalar(0, a);
    const input = this.materialize(a);
    const result = this.graph.node(opType, [input], a.dtype, { keepdims: 0 });
    this.declare(result, SCALAR);
    this.#elements.set(result.name, sizeOf(this.dimsOf(input)));
    this.carriers.set(result.name, [input]);
    return result;
  }

  /** `x` standing for a value of `shape` (a constant broadcast where it is used). */
  #standFor(x: Sym, shape: Dims): Sym {
    const own = this.logicalDimsOf(x);
    if (sizeOf(own) === sizeOf(shape) && own.length === shape.length) return x;
    const alias: Sym = { name: x.name, dtype: x.dtype };
    this.physical.set(alias, this.dimsOf(x));
    this.logical.set(alias, shape);
    return alias;
  }

  /** The constant result of `f` when every operand is a constant. */
  #fold(operands: readonly Sym[], f: (...x: number[]) => number): Sym | undefined {
    const values = operands.map((x) => this.constantOf(x));
    if (values.some((v) => v === undefined)) return undefined;
    const shape = broadcast(...operands.map((x) => this.logicalDimsOf(x)));
    const result = this.scalar(f(...(values as number[])), operands[0] as Sym);
    // Only exact zeros may stand for tensors in sums; others are folded only as scalars.
    if (sizeOf(shape) !== 1 && this.constantOf(result) !== 0 && shape.length > 0) return undefined;
    return this.#standFor(result, shape);
  }

  /** `x` when `other` is the constant `neutral` (x + 0, x * 1, ...), in the result's shape. */
  #identity(x: Sym, other: Sym, neutral: number): Sym | undefined {
    if (this.constantOf(other) !== neutral) return undefined;
    const shape = broadcast(this.logicalDimsOf(x), this.logicalDimsOf(other));
    const own = this.logicalDimsOf(x);
    if (sizeOf(own) === sizeOf(shape) && own.length === shape.length) return x;
    // A scalar x standing for a tensor: only an exact 0 may (see #fold).
    return this.constantOf(x) === 0 ? this.#standFor(x, shape) : undefined;
  }

  /** 0 in the product's shape when a factor is an exact 0. */
  #zero(a: Sym, b: Sym): Sym | undefined {
    if (this.constantOf(a) !== 0 && this.constantOf(b) !== 0) return undefined;
    const shape = broadcast(this.logicalDimsOf(a), this.logicalDimsOf(b));
    return this.#standFor(this.scalar(0, a), shape);
  }
}

function floatType(like: Sym): "float32" | "float64" {
  if (like.dtype !== "float32" && like.dtype !== "float64") {
    throw new TypeError(`optimizer values must be float32 or float64, got ${like.dtype} (${like.name})`);
  }
  return like.dtype;
}
