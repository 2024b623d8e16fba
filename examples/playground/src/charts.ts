/** Line charts drawn with uPlot: each line has its own x values; the chart aligns them. */
import uPlot from "uplot";

export interface Line {
  label: string;
  color: string;
  dash?: number[];
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface ChartOptions {
  title: string;
  yLabel: string;
  /** Fixed y range; otherwise fitted to the data. */
  yRange?: [number, number];
  height?: number;
  /** Mark each point (for sparse series such as test accuracy). */
  points?: boolean;
}

export class LineChart {
  readonly #target: HTMLElement;
  readonly #options: ChartOptions;
  #plot: uPlot | undefined;
  /** Labels, colours and dashes of the lines the current plot was made for. */
  #signature = "";

  constructor(target: HTMLElement, options: ChartOptions) {
    this.#target = target;
    this.#options = options;
    this.draw([]);
    new ResizeObserver(() => this.#plot?.setSize(this.#size())).observe(target);
  }

  /** Redraws with `lines`, rebuilding the plot only when the set of lines changed. */
  draw(lines: readonly Line[]): void {
    const signature = JSON.stringify(lines.map(({ label, color, dash }) => [label, color, dash]));
    const data = align(lines);
    if (this.#plot && signature === this.#signature) {
      this.#plot.setData(data);
      return;
    }
    this.#plot?.destroy();
    this.#signature = signature;
    const { title, yLabel, yRange } = this.#options;
    this.#plot = new uPlot(
      {
        ...this.#size(),
        title,
        scales: { x: { time: false }, y: yRange ? { range: yRange } : {} },
        axes: [{ label: "step" }, { label: yLabel }],
        series: [
          { label: "step" },
          ...lines.map((line) => ({
            label: line.label,
            stroke: line.color,
            width: 1.5,
            spanGaps: true,
            ...(line.dash ? { dash: line.dash } : {}),
            points: { show: this.#options.points ?? false },
          })),
        ],
      },
      data,
      this.#target,
    );
  }

  #size(): { width: number; height: number } {
    return { width: Math.max(240, this.#target.clientWidth), height: this.#options.height ?? 240 };
  }
}

/** uPlot's shape: one sorted x array, then per line its y at each x, or null where it has none. */
function align(lines: readonly Line[]): uPlot.AlignedData {
  const xs = [...new Set(lines.flatMap((line) => Array.from(line.x)))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const ys = lines.map((line) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (let i = 0; i < line.x.length; i++) y[at.get(line.x[i] as number) as number] = line.y[i] as number;
    return y;
  });
  return [xs, ...ys];
}
