// @a2s/core from its tarball: the schedule, the update over plain arrays, a checkpoint round trip.
import { a2sSchedule, a2sUpdate, decodeCheckpoint, encodeCheckpoint, resolveA2SOptions } from "@a2s/core";

const zip = (f) => (a, b) =>
  Array.from({ length: Math.max(a.length, b.length) }, (_, i) =>
    f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]),
  );
const ops = {
  scalar: (x) => [x],
  add: zip((x, y) => x + y),
  sub: zip((x, y) => x - y),
  mul: zip((x, y) => x * y),
  div: zip((x, y) => x / y),
  sqrt: (a) => a.map(Math.sqrt),
  sumSquares: (a) => [a.reduce((s, x) => s + x * x, 0)],
};
const options = resolveA2SOptions({ switchIter: 1, blendIters: 2 });
let param = [1, -2];
let slots = { m: [0, 0], v: [0, 0], buf: [0, 0], prev: undefined };
for (let t = 1; t <= 4; t++) {
  const out = a2sUpdate(ops, options, a2sSchedule(t, options), [
    { param, grad: param.map((p) => 2 * p), slots },
  ]);
  ({ param, slots } = out.tensors[0]);
}
if (!(Math.abs(param[0]) < 1 && Math.abs(param[1]) < 2)) throw new Error(`no progress: ${param}`);
const bytes = encodeCheckpoint({
  algorithm: "A2S",
  options,
  t: 4,
  tensors: { p: { shape: [2], slots: { m: Float32Array.from(slots.m) } } },
});
if (decodeCheckpoint(bytes).t !== 4) throw new Error("checkpoint round trip failed");
console.log(`ok @a2s/core: 4 steps, |p| went from [1, 2] to [${param.map((x) => Math.abs(x).toFixed(4))}]`);
