/**
 * The MNIST panel: the form, the worker that trains, and the charts of loss, test accuracy
 * and A2S's w and lrScale, one line per run (colour: optimizer; dash: stack).
 */
import { type Line, LineChart } from "./charts.js";
import { DATA_FOLDER } from "./data-subset.js";
import { defaultOptions, OPTIMIZER_IDS, OPTIMIZERS } from "./optimizers.js";
import type { TrainMessage, WorkerMessage } from "./protocol.js";
import { STACK_IDS, STACKS, type StackId } from "./stacks/registry.js";
import type { RunRequest, RunSummary } from "./training.js";
import type { PageParams } from "./url-params.js";

const STACK_DASH: Record<StackId, number[] | undefined> = {
  typed: undefined,
  "tfjs-webgl": [8, 4],
  "tfjs-wasm": [2, 3],
  "tfjs-cpu": [10, 3, 2, 3],
  onnxruntime: [1, 6],
};

interface RunSeries {
  request: RunRequest;
  label: string;
  losses: number[];
  accuracySteps: number[];
  accuracy: number[];
  w: number[];
  lrScale: number[];
}

/** Thrown into a run the Stop button ended. */
class StoppedError extends Error {
  constructor() {
    super("stopped");
    this.name = "StoppedError";
  }
}

/**
 * The panel's `data-state` says where it is, for scripts driving the page: `idle`,
 * `running`, `done` (every run finished) or `error` (a run failed or was stopped).
 */
export class MnistPanel {
  readonly #root: HTMLElement;
  readonly #form: HTMLFormElement;
  readonly #status: HTMLElement;
  readonly #results: HTMLElement;
  readonly #train: HTMLButtonElement;
  readonly #stop: HTMLButtonElement;
  readonly #loss: LineChart;
  readonly #accuracy: LineChart;
  readonly #a2s: LineChart;
  readonly #runs = new Map<string, RunSeries>();
  readonly #table: HTMLTableSectionElement;
  #worker: Worker | undefined;
  #abort: ((error: Error) => void) | undefined;
  #drawScheduled = false;

  constructor(root: HTMLElement) {
    this.#root = root;
    root.dataset.state = "idle";
    this.#form = root.querySelector("#mnist-form") as HTMLFormElement;
    this.#status = root.querySelector("#status") as HTMLElement;
    this.#results = root.querySelector("#results") as HTMLElement;
    this.#train = root.querySelector("#train") as HTMLButtonElement;
    this.#stop = root.querySelector("#stop") as HTMLButtonElement;
    this.#table = root.querySelector("#runs-table tbody") as HTMLTableSectionElement;
    this.#buildForm(root);
    this.#loss = new LineChart(root.querySelector("#loss-chart") as HTMLElement, {
      title: "Training loss (batch cross-entropy, smoothed)",
      yLabel: "loss",
    });
    this.#accuracy = new LineChart(root.querySelector("#accuracy-chart") as HTMLElement, {
      title: "Test accuracy",
      yLabel: "accuracy",
      yRange: [0, 1],
      points: true,
    });
    this.#a2s = new LineChart(root.querySelector("#a2s-chart") as HTMLElement, {
      title: "A2S per step: blend weight w, learning-rate scale",
      yLabel: "",
      yRange: [0, 1.05],
    });
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.train(this.#requests()).catch(() => {});
    });
    this.#stop.addEventListener("click", () => this.stop());
    root.querySelector("#clear")?.addEventListener("click", () => {
      this.#runs.clear();
      this.#table.replaceChildren();
      this.#draw();
    });
    this.#input("smoothing").addEventListener("input", () => this.#scheduleDraw());
  }

  /** Sets the form from the URL: its stack, only its optimizer, steps, seed and options. */
  applyParams(params: PageParams): void {
    if (params.stack) (this.#form.elements.namedItem("stack") as HTMLSelectElement).value = params.stack;
    if (params.optimizer) {
      for (const id of OPTIMIZER_IDS) this.#input(`use.${id}`).checked = id === params.optimizer;
      for (const [name, value] of Object.entries(params.options)) {
        this.#input(`${params.optimizer}.${name}`).value = String(value);
      }
    }
    for (const name of ["steps", "seed", "evalEvery"] as const) {
      if (params[name] !== undefined) this.#input(name).value = String(params[name]);
    }
  }

  /** Trains the form's runs one after another; the last summary also goes into `#results`. */
  async train(requests: RunRequest[] = this.#requests()): Promise<RunSummary[]> {
    this.#train.disabled = true;
    this.#stop.disabled = false;
    this.#root.dataset.state = "running";
    this.#status.classList.remove("error");
    const summaries: RunSummary[] = [];
    try {
      for (const request of requests) summaries.push(await this.#runOne(request));
      this.#status.textContent =
        summaries.map(describe).join(" · ") || "Nothing to train: tick an optimizer.";
      this.#root.dataset.state = "done";
      return summaries;
    } catch (error) {
      const { name, message } = error as Error;
      this.#status.textContent = error instanceof StoppedError ? "Stopped." : `${name}: ${message}`;
      this.#status.classList.toggle("error", !(error instanceof StoppedError));
      this.#results.textContent = JSON.stringify({ error: { name, message } });
      this.#root.dataset.state = "error";
      throw error;
    } finally {
      this.#train.disabled = false;
      this.#stop.disabled = true;
      this.#draw();
    }
  }

  stop(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#abort?.(new StoppedError());
  }

  /** Shows an error that happened before any run (a bad URL), as a run's error would be. */
  showError(error: Error): void {
    this.#status.textContent = `${error.name}: ${error.message}`;
    this.#status.classList.add("error");
    this.#results.textContent = JSON.stringify({ error: { name: error.name, message: error.message } });
    this.#root.dataset.state = "error";
  }

  #runOne(request: RunRequest): Promise<RunSummary> {
    const worker = this.#worker ?? new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    this.#worker = worker;
    const label = `${OPTIMIZERS[request.optimizer].label} · ${request.stack}`;
    const series: RunSeries = {
      request,
      label,
      losses: [],
      accuracySteps: [],
      accuracy: [],
      w: [],
      lrScale: [],
    };
    this.#runs.delete(label);
    this.#runs.set(label, series);
    let speed = 0;
    const progress = () => {
      const at = series.accuracy.at(-1);
      const accuracy = at === undefined ? "" : ` · test accuracy ${(100 * at).toFixed(1)}%`;
      this.#status.textContent = `${label}: step ${series.losses.length}/${request.steps} · ${speed.toFixed(0)} steps/s${accuracy}`;
    };
    return new Promise<RunSummary>((resolve, reject) => {
      this.#abort = reject;
      worker.onerror = (event) => reject(new Error(`the training worker failed: ${event.message}`));
      worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
        switch (data.type) {
          case "status":
            this.#status.textContent = `${label}: ${data.text}`;
            return;
          case "progress":
            series.losses.push(...data.losses);
            series.w.push(...data.w);
            series.lrScale.push(...data.lrScale);
            speed = data.stepsPerSecond;
            progress();
            this.#scheduleDraw();
            return;
          case "accuracy":
            series.accuracySteps.push(data.step);
            series.accuracy.push(data.accuracy);
            progress();
            this.#scheduleDraw();
            return;
          case "done":
            this.#results.textContent = JSON.stringify(data.summary);
            this.#addRow(label, data.summary);
            resolve(data.summary);
            return;
          case "error":
            reject(Object.assign(new Error(data.message), { name: data.name }));
            return;
        }
      };
      const message: TrainMessage = {
        type: "train",
        dataUrl: new URL(`${import.meta.env.BASE_URL}${DATA_FOLDER}`, document.baseURI).href,
        ...request,
      };
      worker.postMessage(message);
    }).finally(() => {
      this.#abort = undefined;
    });
  }

  #addRow(label: string, summary: RunSummary): void {
    for (const row of this.#table.rows) if (row.dataset.label === label) row.remove();
    const row = this.#table.insertRow();
    row.dataset.label = label;
    row.style.color = OPTIMIZERS[summary.optimizer].color;
    for (const text of [
      OPTIMIZERS[summary.optimizer].label,
      summary.backend,
      String(summary.steps),
      summary.stepsPerSecond.toFixed(1),
      (summary.losses.at(-1) as number).toFixed(3),
      `${(100 * summary.testAccuracy).toFixed(1)}%`,
    ]) {
      row.insertCell().textContent = text;
    }
  }

  #requests(): RunRequest[] {
    const stack = (this.#form.elements.namedItem("stack") as HTMLSelectElement).value as StackId;
    const whole = (name: string) => Number(this.#input(name).value);
    return OPTIMIZER_IDS.filter((id) => this.#input(`use.${id}`).checked).map((optimizer) => ({
      stack,
      optimizer,
      options: Object.fromEntries(
        OPTIMIZERS[optimizer].fields.map((field) => [
          field,
          Number(this.#input(`${optimizer}.${field}`).value),
        ]),
      ),
      steps: whole("steps"),
      seed: whole("seed"),
      evalEvery: whole("evalEvery"),
    }));
  }

  #buildForm(root: HTMLElement): void {
    const stack = this.#form.elements.namedItem("stack") as HTMLSelectElement;
    for (const id of STACK_IDS) stack.add(new Option(STACKS[id].label, id));
    const checks = root.querySelector("#optimizer-checks") as HTMLElement;
    const fields = root.querySelector("#option-fields") as HTMLElement;
    for (const id of OPTIMIZER_IDS) {
      const spec = OPTIMIZERS[id];
      const check = document.createElement("label");
      check.innerHTML = `<input type="checkbox" name="use.${id}" checked /> <span style="color:${spec.color}">${spec.label}</span>`;
      checks.append(check);
      const set = document.createElement("fieldset");
      set.innerHTML = `<legend style="color:${spec.color}">${spec.label}</legend>`;
      for (const [name, value] of Object.entries(defaultOptions(id))) {
        const label = document.createElement("label");
        label.textContent = `${name} `;
        const input = document.createElement("input");
        Object.assign(input, { type: "number", step: "any", name: `${id}.${name}`, value: String(value) });
        label.append(input);
        set.append(label);
      }
      fields.append(set);
    }
  }

  #input(name: string): HTMLInputElement {
    return this.#form.elements.namedItem(name) as HTMLInputElement;
  }

  #scheduleDraw(): void {
    if (this.#drawScheduled) return;
    this.#drawScheduled = true;
    requestAnimationFrame(() => {
      this.#drawScheduled = false;
      this.#draw();
    });
  }

  #draw(): void {
    const smoothing = Math.min(0.99, Math.max(0, Number(this.#input("smoothing").value) || 0));
    const runs = [...this.#runs.values()];
    const line = (run: RunSeries, x: ArrayLike<number>, y: ArrayLike<number>): Line => {
      const dash = STACK_DASH[run.request.stack];
      return {
        label: run.label,
        color: OPTIMIZERS[run.request.optimizer].color,
        x,
        y,
        ...(dash ? { dash } : {}),
      };
    };
    this.#loss.draw(
      runs.map((run) => line(run, stepNumbers(run.losses.length), smooth(run.losses, smoothing))),
    );
    this.#accuracy.draw(runs.map((run) => line(run, run.accuracySteps, run.accuracy)));
    const a2s = runs.filter((run) => run.request.optimizer === "a2s").at(-1);
    const steps = stepNumbers(a2s?.w.length ?? 0);
    this.#a2s.draw(
      a2s
        ? [
            { label: `w (${a2s.request.stack})`, color: "#d62728", x: steps, y: a2s.w },
            { label: `lrScale (${a2s.request.stack})`, color: "#ff7f0e", x: steps, y: a2s.lrScale },
          ]
        : [],
    );
  }
}

function stepNumbers(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}

/** Exponential moving average with bias correction, so the first steps are not pulled to 0. */
function smooth(values: readonly number[], decay: number): number[] {
  let average = 0;
  return values.map((value, i) => {
    average = decay * average + (1 - decay) * value;
    return decay === 0 ? value : average / (1 - decay ** (i + 1));
  });
}

function describe(summary: RunSummary): string {
  return `${OPTIMIZERS[summary.optimizer].label} on ${summary.backend}: ${summary.stepsPerSecond.toFixed(0)} steps/s, test accuracy ${(100 * summary.testAccuracy).toFixed(1)}%`;
}
