/** `node dist/main.js [--epochs N] [--steps N]`: trains, then prints test accuracy and A2S's diagnostics. */
import { parseArgs } from "node:util";
import { trainMnist } from "./train.js";

function wholeNumber(flag: string, text: string): number {
  const n = Number(text);
  if (Number.isInteger(n) && n >= 1) return n;
  console.error(`--${flag} takes a whole number >= 1, not ${text}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: { epochs: { type: "string", default: "1" }, steps: { type: "string" } },
});
const result = await trainMnist({
  epochs: wholeNumber("epochs", values.epochs),
  ...(values.steps === undefined ? {} : { maxSteps: wholeNumber("steps", values.steps) }),
});
console.log(`@a2s/typed: ${result.steps} steps of 64 images in ${result.seconds.toFixed(1)} s`);
console.log(
  `batch loss ${result.losses[0]?.toFixed(3)} at the start, ${result.losses.at(-1)?.toFixed(3)} at the end`,
);
console.log(`test accuracy ${(100 * result.testAccuracy).toFixed(2)}% on 10,000 images`);
console.log("A2S diagnostics of the last step:", result.diagnostics);
