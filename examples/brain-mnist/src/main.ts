/**
 * `node dist/main.js [--patterns N] [--passes N] [--optimizer NAME] [--schedule NAME]`:
 * trains, then prints test accuracy and the optimizer's diagnostics.
 */
import { parseArgs } from "node:util";
import {
  makeOptimizer,
  OPTIMIZERS,
  type OptimizerName,
  SCHEDULES,
  type ScheduleName,
  trainMnist,
} from "./train.js";

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: node dist/main.js [--patterns N] [--passes N] [--optimizer ${OPTIMIZERS.join("|")}] [--schedule ${SCHEDULES.join("|")}]`,
  );
  process.exit(2);
}

function wholeNumber(flag: string, text: string): number {
  const n = Number(text);
  if (Number.isInteger(n) && n >= 1) return n;
  return usage(`--${flag} takes a whole number >= 1, not ${text}`);
}

function oneOf<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  return usage(`--${flag} takes one of ${choices.join(", ")}, not ${text}`);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        patterns: { type: "string", default: "2000" },
        passes: { type: "string", default: "3" },
        optimizer: { type: "string", default: "a2s" },
        schedule: { type: "string", default: "constant" },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const patterns = wholeNumber("patterns", values.patterns);
const passes = wholeNumber("passes", values.passes);
const name = oneOf<OptimizerName>("optimizer", values.optimizer, OPTIMIZERS);
const schedule = oneOf<ScheduleName>("schedule", values.schedule, SCHEDULES);
const result = await trainMnist({
  patterns,
  passes,
  optimizer: makeOptimizer(name, schedule, patterns * passes),
});
console.log(
  `@a2s/brain, ${result.algorithm} (${schedule} rate): ${passes} ${passes === 1 ? "pass" : "passes"} over ${patterns} images, ${result.diagnostics?.t} steps in ${result.seconds.toFixed(1)} s`,
);
console.log(`brain's training error ${result.trainingError.toFixed(4)}`);
console.log(
  `test accuracy ${(100 * result.untrainedAccuracy).toFixed(2)}% untrained, ${(100 * result.testAccuracy).toFixed(2)}% trained, on 10,000 images`,
);
console.log("diagnostics of the last step:", result.diagnostics);
