/**
 * The symbolic {@link ArrayOps} backend: every operation appends an ONNX node to a
 * {@link GraphBuilder} instead of computing. Running core's `a2sUpdate` (or a baseline)
 * once against it records the optimizer step as a graph; the math is core's, not
 * written again here.
 */
import type { ArrayOps, StepScalarName } from "@a2s/core";
import type { GraphBuilder, Sym } from "./graph-builder.js";

/** Records core's array operations as nodes of `graph`. */
export class SymbolicOps implements ArrayOps<Sym> {
  private readonly stepInputs = new Map<StepScalarName, Sym>();

  constructor(private readonly graph: GraphBuilder) {}

  scalar(value: number, like: Sym): Sym {
    return this.graph.constant(value, floatType(like));
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
  sumSquares(a: Sym): Sym {
    // No axes: reduce over every axis to a rank-0 scalar.
    return this.graph.node("ReduceSumSquare", [a], a.dtype, { keepdims: 0 });
  }
  /** A rank-0 graph input named after the schedule value, fed by the runner at each step. */
  stepScalar(name: StepScalarName, _value: number, like: Sym): Sym {
    let sym = this.stepInputs.get(name);
    if (!sym) {
      sym = this.graph.input(name, floatType(like), []);
      this.stepInputs.set(name, sym);
    }
    return sym;
  }

  /** The step scalars the recorded graph takes as inputs. */
  stepScalarNames(): StepScalarName[] {
    return [...this.stepInputs.keys()];
  }
}

function floatType(like: Sym): "float32" | "float64" {
  if (like.dtype !== "float32" && like.dtype !== "float64") {
    throw new TypeError(`optimizer values must be float32 or float64, got ${like.dtype} (${like.name})`);
  }
  return like.dtype;
}
