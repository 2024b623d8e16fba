import {
  type Algorithm,
  a2s,
  adam,
  chain,
  defineAlgorithm,
  scaleByLearningRate,
  sgdMomentum,
  type TensorInfo,
  type Transform,
} from "@a2s/core";
import onnxProto from "onnx-proto";
import { describe, expect, test } from "vitest";
import { GraphBuilder } from "../src/graph-builder.js";
import { NO_PINS, PinChooser, type Pins, pinKey } from "../src/pins.js";
import { STEP_NAMES } from "../src/step-names.js";
import { recordStep, unitLayout } from "../src/step-recording.js";

const { onnx } = onnxProto;

const TENSORS: TensorInfo[] = [
  { name: "W", shape: [300_000], size: 300_000, group: 0 },
  { name: "b", shape: [10], size: 10, group: 0 },
];

/** The optimizer's own graph for `algorithm` over W and b, as `update` records it. */
function record(algorithm: Algorithm, pins: Pins = new Map()) {
  const graph = new GraphBuilder("step");
  const layout = unitLayout(
    algorithm,
    TENSORS,
    TENSORS.map((t) => [t.size]),
  );
  const input = (name: string, u: number) => graph.input(name, "float32", layout.shapes[u] as number[]);
  return recordStep({
    graph,
    algorithm,
    tensors: TENSORS,
    dtype: "float32",
    layout,
    t: 1,
    params: layout.names.map((name, u) => input(STEP_NAMES.param(name), u)),
    grads: layout.names.map((name, u) => input(STEP_NAMES.grad(name), u)),
    sharded: false,
    pins,
    fedGradients: true,
  });
}

/** The values the check sums, by the names they are fetched by. */
function checked(recording: ReturnType<typeof record>): string[] {
  const model = onnx.ModelProto.decode(recording.graph.toBytes("", [recording.check]));
  return (model.graph?.node ?? [])
    .filter((node) => node.opType === "ReduceSum")
    .map((node) => (node.input ?? [])[0] as string)
    .sort();
}

describe("the finiteness check sums only what no other checked value shows", () => {
  test("Adam: the new parameters show a bad gradient or first moment; the second moment only divides, so it is summed too", () => {
    const recording = record(adam());
    expect(checked(recording)).toEqual(["new/W", "new/b", "new/state/W/v", "new/state/b/v"].sort());
  });

  test("A2S blending: the momentum buffer reaches the parameters through the SGD branch", () => {
    const recording = record(a2s({ switchIter: 0, blendIters: 10 }));
    expect(checked(recording)).toEqual(["new/W", "new/b", "new/state/W/v", "new/state/b/v"].sort());
  });

  test("A2S with the blend weight pinned to 1: the unused SGD branch no longer shows the buffer, which is summed itself", () => {
    const recording = record(
      a2s(),
      new Map([
        ["2.w#0", 1],
        ["2.oneMinusW#0", 0],
      ]),
    );
    expect(checked(recording)).toEqual(
      ["new/W", "new/b", "new/state/W/v", "new/state/b/v", "new/state/W/buf", "new/state/b/buf"].sort(),
    );
    // Pinning left out work: the SGD step and the blend.
    expect(recording.work).toBeLessThan(record(a2s()).work);
  });
});

test("with the seed's defaults, A2S pins its blend weight from the first step, not the first-step flag", () => {
  const generic = record(a2s());
  const chooser = new PinChooser(generic.host, "float32", (pins) => record(a2s(), pins).work);
  const values = (t: number) => generic.host.map((h) => h.value(t));
  const first = chooser.choose(1, values(1), NO_PINS);
  expect(pinKey(first)).toBe("2.oneMinusW#0=0,2.w#0=1");
  // From the second step the flag is 0 for good, but pinning it leaves no elementwise work out.
  expect(chooser.choose(2, values(2), first)).toBe(first);
});

describe("state the run was fed is not fetched back", () => {
  test("A2S's previous gradient is the fed gradient, with no output of its own", () => {
    const recording = record(a2s());
    const prev = a2s().slots.findIndex(([slot]) => slot === "prev");
    expect(recording.slotSources.map((unit) => unit[prev])).toEqual(["gradient", "gradient"]);
    expect(recording.slotOutputs.map((unit) => unit[prev])).toEqual([undefined, undefined]);
    expect(recording.graph.outputList()).not.toContain(STEP_NAMES.newSlot("W", "prev"));
  });

  test("a slot the step leaves as it was is kept, not fetched; one it computes is fetched", () => {
    const holds: Transform = {
      name: "holds",
      slots: { held: "real" },
      update: (_io, updates) => ({ updates }),
    };
    const withHeldSlot = defineAlgorithm({
      name: "Held",
      options: { learningRate: { default: 0.1, rule: "nonNegative", scope: "group", schedulable: true } },
      build: () => chain(holds, scaleByLearningRate("learningRate")),
    });
    const recording = record(withHeldSlot());
    expect(recording.slotSources).toEqual([["kept"], ["kept"]]);
    expect(recording.graph.outputList()).not.toContain(STEP_NAMES.newSlot("W", "held"));
    expect(record(sgdMomentum()).slotSources).toEqual([[undefined], [undefined]]);
  });
});
