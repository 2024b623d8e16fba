/**
 * The seed's MLP as ONNX nodes: dense layers `y = x W + b` (W of shape [in, out],
 * row-major, as in @a2s/mlp) with ReLU between them, softmax cross-entropy averaged over
 * the batch, and the backward pass derived by hand. The batch size is a dynamic axis.
 */
import type { GraphBuilder, Sym } from "./graph-builder.js";

/** Units per layer, input first: the seed's 784-128-64-10. */
export const SEED_LAYER_SIZES: readonly number[] = Object.freeze([784, 128, 64, 10]);

/** Parameter names in the seed's order: W1, b1, W2, b2, ... */
export function mlpParamNames(sizes: readonly number[]): string[] {
  return sizes.slice(1).flatMap((_, l) => [`W${l + 1}`, `b${l + 1}`]);
}

/** Shapes matching {@link mlpParamNames}: W as [in, out], b as [out]. */
export function mlpParamShapes(sizes: readonly number[]): number[][] {
  return sizes.slice(1).flatMap((out, l) => [[sizes[l] as number, out], [out]]);
}

/** Name of the dynamic batch axis. */
export const BATCH = "batch";

interface Forward {
  logits: Sym;
  /** The layers' inputs: the images, then each hidden layer's ReLU output. */
  activations: Sym[];
}

/** Logits of `x` [batch, sizes[0]] under `params` (in {@link mlpParamNames} order). */
export function recordForward(
  graph: GraphBuilder,
  x: Sym,
  params: readonly Sym[],
  logitsName?: string,
): Forward {
  const layers = params.length / 2;
  const activations = [x];
  let h = x;
  for (let l = 0; l < layers; l++) {
    const isLast = l === layers - 1;
    const z = graph.node(
      "Gemm",
      [h, params[2 * l] as Sym, params[2 * l + 1] as Sym],
      "float32",
      {},
      isLast ? logitsName : undefined,
    );
    if (isLast) return { logits: z, activations };
    h = graph.node("Relu", [z], "float32");
    activations.push(h);
  }
  throw new RangeError("an MLP needs at least one layer");
}

/** One-hot float rows [batch, classes] of uint8 labels [batch]. */
function recordOneHot(graph: GraphBuilder, labels: Sym, classes: number): Sym {
  const asInt = graph.node("Cast", [labels], "int64", { to: 7 });
  const column = graph.node("Unsqueeze", [asInt, graph.constant([1], "int64")], "int64");
  const range = graph.constant(
    Array.from({ length: classes }, (_, i) => i),
    "int64",
  );
  const hot = graph.node("Equal", [column, range], "bool");
  return graph.node("Cast", [hot], "float32", { to: 1 });
}

export interface TrainingValues {
  /** Mean cross-entropy over the batch (rank 0). */
  loss: Sym;
  logits: Sym;
  /** Gradients of the loss, in {@link mlpParamNames} order and shapes. */
  grads: Sym[];
}

/**
 * Forward pass, loss and gradients. The loss uses LogSoftmax, which subtracts each row's
 * maximum before exponentiating, so no logit overflows; the logits' gradient is
 * `(softmax - onehot) / batch`, as for @a2s/mlp.
 */
export function recordTraining(
  graph: GraphBuilder,
  x: Sym,
  labels: Sym,
  params: readonly Sym[],
  classes: number,
): TrainingValues {
  const { logits, activations } = recordForward(graph, x, params);
  const oneHot = recordOneHot(graph, labels, classes);
  const logProbs = graph.node("LogSoftmax", [logits], "float32", { axis: 1 });
  const picked = graph.node(
    "ReduceSum",
    [graph.node("Mul", [oneHot, logProbs], "float32"), graph.constant([1], "int64")],
    "float32",
    { keepdims: 0 },
  );
  const loss = graph.node("Neg", [graph.node("ReduceMean", [picked], "float32", { keepdims: 0 })], "float32");

  const batch = graph.node("Cast", [graph.node("Shape", [x], "int64", { start: 0, end: 1 })], "float32", {
    to: 1,
  });
  let dz = graph.node(
    "Div",
    [graph.node("Sub", [graph.node("Exp", [logProbs], "float32"), oneHot], "float32"), batch],
    "float32",
  );
  const rows = graph.constant([0], "int64");
  const zero = graph.constant(0, "float32");
  const grads: Sym[] = new Array(params.length);
  for (let l = params.length / 2 - 1; l >= 0; l--) {
    const input = activations[l] as Sym;
    grads[2 * l] = graph.node("Gemm", [input, dz], "float32", { transA: 1 });
    grads[2 * l + 1] = graph.node("ReduceSum", [dz, rows], "float32", { keepdims: 0 });
    if (l > 0) {
      const dh = graph.node("Gemm", [dz, params[2 * l] as Sym], "float32", { transB: 1 });
      // ReLU passes the gradient where its output is positive and blocks it elsewhere.
      const active = graph.node("Greater", [input, zero], "bool");
      dz = graph.node("Where", [active, dh, zero], "float32");
    }
  }
  return { loss, logits, grads };
}

/** Number of rows of `logits` whose largest entry is at the label (rank 0, float). */
export function recordCorrectCount(graph: GraphBuilder, logits: Sym, labels: Sym): Sym {
  const predicted = graph.node("ArgMax", [logits], "int64", { axis: 1, keepdims: 0 });
  const asInt = graph.node("Cast", [labels], "int64", { to: 7 });
  const hit = graph.node("Cast", [graph.node("Equal", [predicted, asInt], "bool")], "float32", { to: 1 });
  return graph.node("ReduceSum", [hit], "float32", { keepdims: 0 });
}
