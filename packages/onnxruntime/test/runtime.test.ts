/**
 * Which onnxruntime runs the graphs: onnxruntime-node by default, onnxruntime-web under
 * the `browser` export condition, or the module passed in.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TensorRecord } from "@a2s/core";
import { Mlp } from "@a2s/mlp";
import { loadMnist, subset } from "@a2s/mnist";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, test } from "vitest";
import { A2S } from "../src/optimizer.js";
import type { OnnxRuntime } from "../src/runtime.js";
import { createTrainer } from "../src/trainer.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

/**
 * Runs three A2S steps with the built package in a new Node process under `conditions`,
 * noting the native libraries it loads: onnxruntime-node's binding is one, while
 * onnxruntime-web runs WebAssembly and loads none.
 */
async function stepInProcess(conditions: string[]): Promise<{ params: number[]; native: string[] }> {
  const script = `
    const native = [];
    const dlopen = process.dlopen;
    process.dlopen = (module, file, ...rest) => { native.push(file); return dlopen.call(process, module, file, ...rest); };
    const { A2S } = await import("@a2s/onnxruntime");
    const optimizer = new A2S({ switchIter: 1, blendIters: 2 });
    const params = { w: Float32Array.of(1, -2, 3) };
    for (let t = 1; t <= 3; t++) await optimizer.update(params, { w: Float32Array.of(0.5, -t, t / 4) });
    console.log(JSON.stringify({ params: Array.from(params.w), native }));
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...conditions.map((c) => `--conditions=${c}`), "--input-type=module", "-e", script],
    { cwd: packageDir },
  );
  return JSON.parse(stdout);
}

describe("the runtime", () => {
  test("outside browsers the package runs its graphs on onnxruntime-node", async () => {
    const { native } = await stepInProcess([]);
    expect(native.some((file) => file.includes("onnxruntime_binding"))).toBe(true);
  });

  test("under the browser condition it runs them on onnxruntime-web, to the same results", async () => {
    const browser = await stepInProcess(["browser"]);
    const node = await stepInProcess([]);
    expect(browser.native.filter((file) => file.includes("onnxruntime"))).toEqual([]);
    // The same graph on the same float32 values; the two builds may pick other kernels
    // (vectorised sums), so the parameters agree to float32 rounding of values near 3.
    browser.params.forEach((p, i) => {
      expect(Math.abs(p - (node.params[i] as number))).toBeLessThan(1e-6);
    });
  });

  for (const [name, ort] of [
    ["onnxruntime-node", ortNode],
    ["onnxruntime-web", ortWeb],
  ] as const) {
    test(`${name} passed in runs every graph: the optimizer's and the trainer's`, async () => {
      let sessions = 0;
      const counted: OnnxRuntime = {
        Tensor: ort.Tensor,
        env: ort.env,
        InferenceSession: {
          create: ((...args: Parameters<typeof ort.InferenceSession.create>) => {
            sessions += 1;
            return ort.InferenceSession.create(...args);
          }) as typeof ort.InferenceSession.create,
        },
      };
      const optimizer = new A2S({}, { runtime: counted });
      const params: TensorRecord = { w: Float64Array.of(1, 2) };
      await optimizer.update(params, { w: Float64Array.of(0.1, -0.1) });
      expect(sessions).toBe(1);

      const { train } = await loadMnist();
      const trainer = createTrainer({
        model: { params: new Mlp({ seed: 1 }).params },
        optimizer: new A2S({}, { runtime: counted }),
      });
      const { images, labels } = subset(train, 0, 64);
      const loss = await trainer.trainStep(images, labels);
      const accuracy = await trainer.evaluate(images, labels);
      // The fused step and the evaluation graph: two more sessions, both of this runtime.
      expect(sessions).toBe(3);
      expect(Number.isFinite(loss)).toBe(true);
      expect(accuracy).toBeGreaterThanOrEqual(0);
      await trainer.dispose();
    });
  }
});
