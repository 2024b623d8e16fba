import { loadOnnxruntime } from "./dist/adapters/onnxruntime.js";
import { loadTfjs } from "./dist/adapters/tfjs.js";
import { timeSideBySide } from "./dist/measure.js";
import { MLP_SHAPES } from "./dist/shapes.js";

const plan = { rounds: 2, iterations: 10, time: 100, warmupIterations: 5, warmupTime: 150 };
const mode = process.argv[2];
if (mode !== "none") {
  const tf = await loadTfjs();
  const w = tf.steppers.find((s) => s.name === mode);
  const st = await w.make("A2S", MLP_SHAPES);
  for (let i = 0; i < 20; i++) st.step();
  await st.dispose();
}
const set = await loadOnnxruntime();
const s = set.steppers[0];
const pair = [await s.make("A2S", MLP_SHAPES), await s.make("Adam", MLP_SHAPES)];
console.log(
  mode,
  (
    await timeSideBySide(
      pair.map((p) => ({ run: () => p.step(), async: true })),
      plan,
    )
  ).map((t) => t.ms.toFixed(2)),
);
