/**
 * The MLP's models as ONNX bytes: the training graph (loss, logits, gradients), to which
 * the trainer appends the optimizer's step, the evaluation graph and the self-contained
 * inference model that export writes.
 */
import { GraphBuilder, type Sym } from "./graph-builder.js";
import {
  BATCH,
  mlpParamNames,
  mlpParamShapes,
  recordCorrectCount,
  recordForward,
  recordTraining,
} from "./mlp-graph.js";

/** Input name of the images, [batch, sizes[0]] float32. */
export const IMAGES = "images";
/** Input name of the labels, [batch] uint8. */
export const LABELS = "labels";

function declareInputs(graph: GraphBuilder, sizes: readonly number[], withLabels: boolean) {
  const x = graph.input(IMAGES, "float32", [BATCH, sizes[0] as number]);
  const labels = withLabels ? graph.input(LABELS, "uint8", [BATCH]) : undefined;
  const shapes = mlpParamShapes(sizes);
  const params = mlpParamNames(sizes).map((name, i) => graph.input(name, "float32", shapes[i] as number[]));
  return { x, labels: labels as Sym, params, shapes };
}

const classesOf = (sizes: readonly number[]) => sizes[sizes.length - 1] as number;

/**
 * Forward, loss and backward. Inputs `images` [batch, in] float32, `labels` [batch]
 * uint8 and the parameters by name; outputs `loss`, `logits` and `grad_<name>` per
 * parameter.
 */
export function buildTrainingModel(sizes: readonly number[]): Uint8Array {
  const graph = new GraphBuilder("mlp_training");
  const { x, labels, params, shapes } = declareInputs(graph, sizes, true);
  const { loss, logits, grads } = recordTraining(graph, x, labels, params, classesOf(sizes));
  graph.output(loss, [], "loss");
  graph.output(logits, [BATCH, classesOf(sizes)], "logits");
  mlpParamNames(sizes).forEach((name, i) => {
    graph.output(grads[i] as Sym, shapes[i] as number[], `grad_${name}`);
  });
  return graph.toBytes("MLP forward, softmax cross-entropy and backward");
}

/** Inputs images, labels and parameters; outputs `correct` (count of right argmaxes). */
export function buildEvaluationModel(sizes: readonly number[]): Uint8Array {
  const graph = new GraphBuilder("mlp_evaluation");
  const { x, labels, params } = declareInputs(graph, sizes, true);
  const { logits } = recordForward(graph, x, params);
  graph.output(recordCorrectCount(graph, logits, labels), [], "correct");
  return graph.toBytes("MLP accuracy count");
}

/**
 * A self-contained inference model: the given weights as initializers, input `images`
 * [batch, in] float32, outputs `logits` [batch, classes] and `predictions` [batch] int64.
 */
export function buildInferenceModel(
  sizes: readonly number[],
  values: Readonly<Record<string, Float32Array>>,
): Uint8Array {
  const graph = new GraphBuilder("mlp_inference");
  const x = graph.input(IMAGES, "float32", [BATCH, sizes[0] as number]);
  const shapes = mlpParamShapes(sizes);
  const params = mlpParamNames(sizes).map((name, i) =>
    graph.weights(name, values[name] as Float32Array, shapes[i] as number[]),
  );
  const { logits } = recordForward(graph, x, params, "logits");
  graph.output(logits, [BATCH, classesOf(sizes)]);
  graph.output(graph.node("ArgMax", [logits], "int64", { axis: 1, keepdims: 0 }, "predictions"), [BATCH]);
  return graph.toBytes(`MLP ${sizes.join("-")} trained with @a2s/onnxruntime`);
}
