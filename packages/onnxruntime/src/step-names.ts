/**
 * The names of an optimizer step's inputs and outputs in a graph (public: they are what
 * a graph made by `appendOptimizerStep` or an optimizer's own graph takes and gives).
 */
export const STEP_NAMES = Object.freeze({
  /** Input: a parameter of the optimizer's own graph (a graph it appends to keeps the model's names). */
  param: (tensor: string) => `param/${tensor}`,
  /** Input: a gradient of the optimizer's own graph. */
  grad: (tensor: string) => `grad/${tensor}`,
  /** Input: slot `slot` (e.g. `m`) of a tensor's state. */
  slot: (tensor: string, slot: string) => `state/${tensor}/${slot}`,
  /** Input: a per-optimizer scalar of the state. */
  scalar: (name: string) => `state/${name}`,
  /** Input: a value computed on the host each step (a scheduled rate, a bias correction, `w`). */
  host: (key: string) => `step/${key}`,
  /** Input of a sharded step: the global total of partial `j` of global sum `k`. */
  total: (k: number, j: number) => `total/${k}/${j}`,
  /** Output: the new value of a parameter. */
  newParam: (tensor: string) => `new/${tensor}`,
  /** Output: the new value of a slot. */
  newSlot: (tensor: string, slot: string) => `new/state/${tensor}/${slot}`,
  /** Output: the new value of a per-optimizer scalar. */
  newScalar: (name: string) => `new/state/${name}`,
  /** Output: a value the step publishes for its diagnostics (e.g. `curvature`). */
  published: (name: string) => `published/${name}`,
  /** Output of a sharded step: this shard's partial `j` of global sum `k`. */
  partial: (k: number, j: number) => `partial/${k}/${j}`,
  /**
   * Output: finite when every gradient, new parameter and new state value is (a sum of the
   * sums of those values whose NaN or ±Infinity no other of them would carry; huge finite
   * values may overflow it too). In a sharded step, the gradients are checked by
   * `check/gradients`, in the run before the first global sum.
   */
  check: "check",
  /** Output of a sharded step's first run: finite when every gradient is. */
  gradientCheck: "check/gradients",
  /**
   * The names of the nodes the step adds to a graph (a model's own nodes keep theirs), as
   * onnxruntime's profiler reports them: `step/` and the name of the value a node makes.
   */
  node: (value: string) => `step/${value}`,
});
