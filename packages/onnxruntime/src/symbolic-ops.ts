/**
 * The symbolic {@link ArrayOps} backend: every operation appends an ONNX node to a
 * {@link GraphBuilder} instead of computing. Running core's `runStep` once against it
 * records an optimizer step as a graph; the math is core's, not written again here.
 */
import type { ArrayOps } from "@a2s/core";
import type { GraphBuilder, Sym } from "./graph-builder.js";

/** ONNX's `to` attribute value of Cast for bool. */
const BOOL = 9;
const CAST_TO = { float32: 1, float64: 11 } as const;

/** Records core's array operations as nodes of `graph`. */
export class SymbolicOps implements ArrayOps<Sym> {
  /** Host values: graph input name by the name the step gave it, in order of appearance. */
  readonly stepInputs = new Map<string, Sym>();
  /** The value of each scalar constant, by graph name. */
  private readonly constantValues = new Map<string, number>();
  /** The bool each 0/1 value of `greater` came from, so `where` needs no cast back. */
  private readonly conditions = new Map<string, Sym>();

  constructor(
    private readonly graph: GraphBuilder,
    /** Graph input name of a host value, from the name the step gives it. */
    private readonly inputName: (name: string) => string,
  ) {}

  scalar(value: number, like: Sym): Sym {
    const sym = this.graph.constant(value, floatType(like));
    this.constantValues.set(sym.name, value);
    return sym;
  }
  add(a: Sym, b: Sym): Sym {
    return this.graph.node("Add", [a, b], a.dtype);
  }
  sub(a: Sym, b: Sym): Sym {
    return this.graph.node("Sub", [a, b], a.dtype);
  }
  mul(a: Sym, b: Sym): Sym {
    return this.graph.node("Mul", [a, b], a.dtype);
  }
  div(a: Sym, b: Sym): Sym {
    return this.graph.node("Div", [a, b], a.dtype);
  }
  sqrt(a: Sym): Sym {
    return this.graph.node("Sqrt", [a], a.dtype);
  }
  maximum(a: Sym, b: Sym): Sym {
    return this.graph.node("Max", [a, b], a.dtype);
  }
  minimum(a: Sym, b: Sym): Sym {
    return this.graph.node("Min", [a, b], a.dtype);
  }
  greater(a: Sym, b: Sym): Sym {
    const condition = this.graph.node("Greater", [a, b], "bool");
    const value = this.graph.node("Cast", [condition], a.dtype, { to: CAST_TO[floatType(a)] });
    this.conditions.set(value.name, condition);
    return value;
  }
  where(condition: Sym, a: Sym, b: Sym): Sym {
    const bool =
      this.conditions.get(condition.name) ?? this.graph.node("Cast", [condition], "bool", { to: BOOL });
    return this.graph.node("Where", [bool, a, b], a.dtype);
  }
  sum(a: Sym): Sym {
    // No axes: reduce over every axis to a rank-0 scalar.
    return this.graph.node("ReduceSum", [a], a.dtype, { keepdims: 0 });
  }
  sumSquares(a: Sym): Sym {
    return this.graph.node("ReduceSumSquare", [a], a.dtype, { keepdims: 0 });
  }
  /** A rank-0 graph input, fed at each step with the host value of that step. */
  stepScalar(name: string, _value: number, like: Sym): Sym {
    let sym = this.stepInputs.get(name);
    if (!sym) {
      sym = this.graph.input(this.inputName(name), floatType(like), []);
      this.stepInputs.set(name, sym);
    }
    return sym;
  }

  /** The value of `sym` if it is a constant scalar. */
  constantOf(sym: Sym): number | undefined {
    return this.constantValues.get(sym.name);
  }
}

function floatType(like: Sym): "float32" | "float64" {
  if (like.dtype !== "float32" && like.dtype !== "float64") {
    throw new TypeError(`optimizer values must be float32 or float64, got ${like.dtype} (${like.name})`);
  }
  return like.dtype;
}
