/** The training worker: loads MNIST once, then trains one run per "train" message. */
import { fetchMnist, type Mnist } from "@a2s/mnist";
import { OPTIMIZERS } from "./optimizers.js";
import type { ProgressMessage, TrainMessage, WorkerMessage } from "./protocol.js";
import { STACKS } from "./stacks/registry.js";
import { checkRunRequest, train } from "./training.js";

/** How often progress is posted: often enough to look live, rarely enough to cost nothing. */
const REPORT_MS = 100;

const scope = self as unknown as {
  postMessage(message: WorkerMessage): void;
  addEventListener(type: "message", listener: (event: MessageEvent<TrainMessage>) => void): void;
};

let data: Promise<Mnist> | undefined;

async function run(request: TrainMessage): Promise<void> {
  checkRunRequest(request);
  // @a2s/typed checks the options whatever the stack: tfjs's own optimizers check nothing.
  OPTIMIZERS[request.optimizer].create(request.options);
  if (!data) {
    scope.postMessage({ type: "status", text: "loading MNIST" });
    data = fetchMnist({ baseUrl: request.dataUrl });
    data.catch(() => {
      data = undefined;
    });
  }
  const mnist = await data;
  scope.postMessage({ type: "status", text: `starting ${STACKS[request.stack].label}` });
  const trainer = await (await STACKS[request.stack].load()).create(request);
  let pending: ProgressMessage | undefined;
  let lastReport = performance.now();
  let windowStart = lastReport;
  let windowSteps = 0;
  const flush = () => {
    if (!pending) return;
    const now = performance.now();
    pending.stepsPerSecond = windowSteps / ((now - windowStart) / 1000);
    scope.postMessage(pending);
    pending = undefined;
    lastReport = windowStart = now;
    windowSteps = 0;
  };
  try {
    const summary = await train(trainer, mnist, request, {
      onStep(step, result) {
        pending ??= { type: "progress", firstStep: step, losses: [], w: [], lrScale: [], stepsPerSecond: 0 };
        pending.losses.push(result.loss);
        if (result.w !== undefined && result.lrScale !== undefined) {
          pending.w.push(result.w);
          pending.lrScale.push(result.lrScale);
        }
        windowSteps++;
        if (performance.now() - lastReport >= REPORT_MS) flush();
      },
      onAccuracy(step, accuracy) {
        flush();
        scope.postMessage({ type: "accuracy", step, accuracy });
        // Evaluation time is not training time.
        windowStart = performance.now();
      },
    });
    flush();
    scope.postMessage({ type: "done", summary });
  } finally {
    trainer.dispose();
  }
}

scope.addEventListener("message", (event) => {
  run(event.data).catch((error: unknown) => {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    scope.postMessage({ type: "error", name, message });
  });
});
