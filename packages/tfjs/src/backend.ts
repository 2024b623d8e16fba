/**
 * The engine backend of this package: state in `tf.Variable`s (made when a step first
 * commits into them), steps as {@link Expr}s evaluated by {@link TensorOps}, inside the
 * caller's `tf.tidy`.
 */
import type { EngineBackend, FloatArray } from "@a2s/core";
import * as tf from "@tensorflow/tfjs-core";
import { Expr } from "./expr.js";
import { findNonFinite, type NonFiniteMode } from "./non-finite.js";
import type { TensorOps } from "./tensor-ops.js";

/** The engine's backend, plus what `getWeights` needs. */
export interface TensorBackend extends EngineBackend<Expr> {
  readonly ops: TensorOps;
  /** The variable of a state cell, made now if no step has committed into it yet. */
  variableOf(state: Expr): tf.Variable;
  /** The tensors retained for the diagnostics. */
  kept(): tf.Tensor[];
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The cpu backend keeps the very array a tensor was made from: `tf.tensor1d(buf)` changes
 * when the caller refills `buf`, and so would any variable assigned from it. State must be
 * the optimizer's own, so a caller's tensor stored as state is copied there (a host copy:
 * cpu data is host memory). wasm copies at creation, GPU backends upload: no copy needed.
 */
function ownCopy(value: Expr, tensor: tf.Tensor): tf.Tensor {
  if (value.origin !== "input" || tf.getBackend() !== "cpu") return tensor;
  return tf.tensor(tensor.dataSync().slice(), tensor.shape, "float32");
}

function hostCopy(tensor: tf.Tensor): Float32Array {
  return Float32Array.from(tensor.dataSync());
}

export function tensorBackend(ops: TensorOps, nonFinite: NonFiniteMode): TensorBackend {
  const kept = new Set<tf.Tensor>();
  const backend: TensorBackend = {
    ops,
    zeros: (shape) => Expr.state(shape),
    fromHost: (values: FloatArray, shape) => Expr.state(shape, values.slice()),
    toHost(value) {
      const { cell } = value;
      if (cell !== undefined) {
        if (cell.host !== undefined) return cell.host.slice();
        return cell.variable === undefined ? new Float32Array(sizeOf(cell.shape)) : hostCopy(cell.variable);
      }
      const known = value.value;
      return known === undefined ? hostCopy(ops.evaluate(value)) : Float32Array.of(known);
    },
    assign(target, value) {
      if (target === value) return;
      const { cell } = target;
      const shape = cell?.shape ?? (target.tensor as tf.Tensor).shape;
      let tensor = ownCopy(
        value,
        value.origin === "tensor" ? (value.tensor as tf.Tensor) : ops.evaluate(value),
      );
      // A folded value (an exact 0) is a scalar standing for a whole tensor.
      if (!sameShape(tensor.shape, shape)) tensor = tf.broadcastTo(tensor, [...shape]);
      if (cell === undefined) {
        (target.tensor as tf.Variable).assign(tensor);
      } else {
        if (cell.variable === undefined) cell.variable = tf.variable(tensor, false);
        else cell.variable.assign(tensor);
        cell.host = undefined;
      }
    },
    retain(value) {
      const known = value.value;
      if (known !== undefined) return Expr.constant(known);
      const tensor = ops.evaluate(value);
      // A result of this step is kept as it is; a caller's tensor or a state variable
      // by a reference of its own, which later assignments do not change.
      const made = value.origin === "operation" || value.origin === "tensor";
      const own = tf.keep(made ? tensor : tf.clone(tensor));
      kept.add(own);
      return Expr.tensor(own);
    },
    release(value) {
      const { cell, tensor } = value;
      if (cell !== undefined) {
        cell.variable?.dispose();
        cell.variable = undefined;
      } else if (tensor !== undefined && kept.delete(tensor)) {
        tensor.dispose();
      }
    },
    kept: () => [...kept],
    variableOf(state) {
      const cell = state.cell;
      if (cell === undefined) throw new Error("not a state cell");
      if (cell.variable === undefined) {
        const { host } = cell;
        const values = host === undefined ? new Float32Array(sizeOf(cell.shape)) : Float32Array.from(host);
        cell.variable = tf.tidy(() => tf.variable(tf.tensor(values, [...cell.shape], "float32"), false));
        // Float32 values are the state itself now; float64 ones stay exact until a step casts them.
        if (host instanceof Float32Array) cell.host = undefined;
      }
      return cell.variable;
    },
  };
  if (nonFinite === "throw") backend.findNonFinite = (values) => findNonFinite(ops, values);
  return backend;
}
