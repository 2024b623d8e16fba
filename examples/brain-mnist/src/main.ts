/** `node dist/main.js [--patterns N] [--passes N]`: trains, then prints test accuracy and A2S's diagnostics. */
import { parseArgs } from "node:util";
import { trainMnist } from "./train.js";

function wholeNumber(flag: string, text: string): number {
  const n = Number(text);
  if (Number.isInteger(n) && n >= 1) return n;
  console.error(`--${flag} takes a whole number >= 1, not ${text}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: { patterns: { type: "string", default: "2000" }, passes: { type: "string", default: "3" } },
});
const patterns = wholeNumber("patterns", values.patterns);
const passes = wholeNumber("passes", values.passes);
const result = await trainMnist({ patterns, passes });
console.log(
  `@a2s/brain: ${passes} ${passes === 1 ? "pass" : "passes"} over ${patterns} images, ${result.diagnostics?.t} A2S steps in ${result.seconds.toFixed(1)} s`,
);
console.log(`brain's training error ${result.trainingError.toFixed(4)}`);
console.log(
  `test accuracy ${(100 * result.untrainedAccuracy).toFixed(2)}% untrained, ${(100 * result.testAccuracy).toFixed(2)}% trained, on 10,000 images`,
);
console.log("A2S diagnostics of the last step:", result.diagnostics);
