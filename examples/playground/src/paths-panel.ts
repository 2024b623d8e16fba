/**
 * The 2-D panel: a map of the test function and the paths of A2S, Adam and SGD with
 * momentum from one start, recomputed (on the main thread: a few thousand tiny steps)
 * whenever a setting changes.
 */
import { A2S, Adam, SGDMomentum } from "@a2s/typed";
import { OPTIMIZERS } from "./optimizers.js";
import { optimizerPath, type Path } from "./paths.js";
import { type PathSettings, TEST_FUNCTIONS, type TestFunction } from "./test-functions.js";

type FunctionId = keyof typeof TEST_FUNCTIONS;

interface Drawn {
  label: string;
  color: string;
  width: number;
  path: Path;
  /** Steps to mark on the path (A2S: where the blend into SGD starts and ends). */
  marks: number[];
}

export class PathsPanel {
  readonly #form: HTMLFormElement;
  readonly #canvas: HTMLCanvasElement;
  readonly #legend: HTMLElement;
  /** The function's map, drawn once per function and size. */
  #background: { key: string; image: ImageData } | undefined;

  constructor(root: HTMLElement) {
    this.#form = root.querySelector("#paths-form") as HTMLFormElement;
    this.#canvas = root.querySelector("#paths-canvas") as HTMLCanvasElement;
    this.#legend = root.querySelector("#paths-legend") as HTMLElement;
    const select = this.#field("fn") as unknown as HTMLSelectElement;
    for (const fn of Object.values(TEST_FUNCTIONS)) select.add(new Option(fn.label, fn.id));
    select.addEventListener("change", () => {
      this.#suggest();
      this.draw();
    });
    this.#form.addEventListener("input", (event) => {
      if (event.target !== select) this.draw();
    });
    root.querySelector("#paths-reset")?.addEventListener("click", () => {
      this.#suggest();
      this.draw();
    });
    this.#canvas.addEventListener("click", (event) => {
      const box = this.#canvas.getBoundingClientRect();
      const [x, y] = this.#toWorld(
        ((event.clientX - box.left) / box.width) * this.#canvas.width,
        ((event.clientY - box.top) / box.height) * this.#canvas.height,
      );
      this.#field("startX").value = x.toPrecision(3);
      this.#field("startY").value = y.toPrecision(3);
      this.draw();
    });
    this.#suggest();
    this.draw();
  }

  draw(): void {
    const fn = this.#function();
    const context = this.#canvas.getContext("2d") as CanvasRenderingContext2D;
    this.#paintMap(context, fn);
    this.#legend.replaceChildren();
    let drawn: Drawn[];
    try {
      drawn = this.#paths(fn, this.#settings());
    } catch (error) {
      this.#legendItem("#b00020", `${(error as Error).name}: ${(error as Error).message}`);
      return;
    }
    this.#marker(context, fn.minimum, "#ffd700", "goal");
    // Drawn after every line, so that no line covers where another path ended.
    const ends: [number, number, string][] = [];
    for (const { label, color, width, path, marks } of drawn) {
      context.strokeStyle = color;
      context.lineWidth = width;
      context.beginPath();
      for (let i = 0; i <= path.steps; i++) {
        const [px, py] = this.#toCanvas(path.points[2 * i] as number, path.points[2 * i + 1] as number);
        if (i === 0) context.moveTo(px, py);
        else context.lineTo(px, py);
      }
      context.stroke();
      for (const step of marks) {
        if (step <= path.steps) {
          this.#marker(
            context,
            [path.points[2 * step] as number, path.points[2 * step + 1] as number],
            "#000000",
            "ring",
          );
        }
      }
      const x = path.points[2 * path.steps] as number;
      const y = path.points[2 * path.steps + 1] as number;
      ends.push([x, y, color]);
      const where = `(${x.toPrecision(4)}, ${y.toPrecision(4)}), f = ${fn.value(x, y).toExponential(2)}`;
      const end = path.diverged
        ? `diverged after ${path.steps} steps at ${where}`
        : `${path.steps} steps to ${where}`;
      const rings =
        marks.length > 0
          ? ` (rings: steps ${marks.join(" and ")}, where the blend into SGD starts and ends)`
          : "";
      this.#legendItem(color, `${label}: ${end}${rings}`);
    }
    for (const [x, y, color] of ends) this.#marker(context, [x, y], color, "dot");
    this.#marker(context, this.#settings().start, "#000000", "dot");
  }

  /**
   * In drawing order, widest first: A2S follows Adam's path until its blend, so Adam's thin
   * line is drawn inside A2S's wide one.
   */
  #paths(fn: TestFunction, s: PathSettings): Drawn[] {
    const path = (optimizer: Parameters<typeof optimizerPath>[3]) =>
      optimizerPath(fn, s.start, s.steps, optimizer);
    return [
      {
        label: "A2S",
        color: OPTIMIZERS.a2s.color,
        width: 5,
        path: path(new A2S(s.a2s)),
        marks: [s.a2s.switchIter, s.a2s.switchIter + s.a2s.blendIters],
      },
      { label: "Adam", color: OPTIMIZERS.adam.color, width: 2, path: path(new Adam(s.adam)), marks: [] },
      {
        label: "SGD + momentum",
        color: OPTIMIZERS.sgd.color,
        width: 2,
        path: path(new SGDMomentum(s.sgd)),
        marks: [],
      },
    ];
  }

  #suggest(): void {
    const s = this.#function().suggested;
    this.#field("startX").value = String(s.start[0]);
    this.#field("startY").value = String(s.start[1]);
    this.#field("steps").value = String(s.steps);
    for (const group of ["a2s", "adam", "sgd"] as const) {
      for (const [name, value] of Object.entries(s[group]))
        this.#field(`${group}.${name}`).value = String(value);
    }
  }

  #settings(): PathSettings {
    const n = (name: string) => Number(this.#field(name).value);
    const start: [number, number] = [n("startX"), n("startY")];
    if (!start.every(Number.isFinite)) {
      throw new RangeError(`the start must be two finite numbers; got (${start.join(", ")})`);
    }
    const steps = n("steps");
    if (!(Number.isInteger(steps) && steps >= 1 && steps <= 20_000)) {
      throw new RangeError(`steps must be a whole number in 1..20000; got ${this.#field("steps").value}`);
    }
    return {
      start,
      steps,
      a2s: {
        lrAdam: n("a2s.lrAdam"),
        lrSgd: n("a2s.lrSgd"),
        curvatureK: n("a2s.curvatureK"),
        switchIter: n("a2s.switchIter"),
        blendIters: n("a2s.blendIters"),
      },
      adam: { learningRate: n("adam.learningRate") },
      sgd: { learningRate: n("sgd.learningRate"), momentum: n("sgd.momentum") },
    };
  }

  #function(): TestFunction {
    return TEST_FUNCTIONS[(this.#field("fn") as unknown as HTMLSelectElement).value as FunctionId];
  }

  #field(name: string): HTMLInputElement {
    return this.#form.elements.namedItem(name) as HTMLInputElement;
  }

  #legendItem(color: string, text: string): void {
    const item = document.createElement("li");
    item.style.setProperty("--color", color);
    item.textContent = text;
    this.#legend.append(item);
  }

  /** The function's values on a log scale in greys (light valleys), banded every half decade. */
  #paintMap(context: CanvasRenderingContext2D, fn: TestFunction): void {
    const { width, height } = this.#canvas;
    const key = `${fn.id} ${width} ${height}`;
    if (this.#background?.key !== key) {
      const image = context.createImageData(width, height);
      for (let py = 0; py < height; py++) {
        for (let px = 0; px < width; px++) {
          const [x, y] = this.#toWorld(px + 0.5, py + 0.5);
          const level = Math.log10(1e-3 + fn.value(x, y));
          const t = Math.min(1, Math.max(0, (level + 3) / 9));
          const grey = (Math.floor(level * 2) % 2 === 0 ? 250 : 235) - 120 * t;
          const at = 4 * (py * width + px);
          image.data.fill(grey, at, at + 3);
          image.data[at + 3] = 255;
        }
      }
      this.#background = { key, image };
    }
    context.putImageData(this.#background.image, 0, 0);
  }

  #marker(
    context: CanvasRenderingContext2D,
    [x, y]: readonly [number, number],
    color: string,
    shape: "dot" | "ring" | "goal",
  ): void {
    const [px, py] = this.#toCanvas(x, y);
    context.beginPath();
    context.arc(px, py, shape === "goal" ? 6 : 4, 0, 2 * Math.PI);
    context.lineWidth = 2;
    if (shape === "ring") {
      context.strokeStyle = color;
      context.stroke();
    } else {
      context.fillStyle = color;
      context.fill();
      context.strokeStyle = "#000000";
      context.stroke();
    }
  }

  #toCanvas(x: number, y: number): [number, number] {
    const { xRange, yRange } = this.#function();
    return [
      ((x - xRange[0]) / (xRange[1] - xRange[0])) * this.#canvas.width,
      ((yRange[1] - y) / (yRange[1] - yRange[0])) * this.#canvas.height,
    ];
  }

  #toWorld(px: number, py: number): [number, number] {
    const { xRange, yRange } = this.#function();
    return [
      xRange[0] + (px / this.#canvas.width) * (xRange[1] - xRange[0]),
      yRange[1] - (py / this.#canvas.height) * (yRange[1] - yRange[0]),
    ];
  }
}
