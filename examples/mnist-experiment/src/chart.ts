/**
 * The results as one SVG, drawn by vega-lite and rendered by vega in Node (its SVG
 * renderer needs no canvas): test accuracy and training loss per epoch for every
 * optimizer, and A2S's blend weight w and lrScale against the step.
 */
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { ExperimentResults } from "./results.js";

/** Points the schedule panel draws at most: 18,760 steps would make a noisy, heavy SVG. */
const SCHEDULE_POINTS = 600;

type Row = Record<string, number | string>;

function perEpoch(results: ExperimentResults): Row[] {
  return results.optimizers.flatMap((o) =>
    o.epochs.map((e) => ({
      optimizer: o.label,
      epoch: e.epoch,
      testAccuracy: e.testAccuracy,
      trainLoss: e.trainLoss,
    })),
  );
}

/**
 * A2S's per-step series in windows of equal length: w at the window's end (it is
 * piecewise linear, so nothing is lost), lrScale's mean, minimum and maximum (it is noisy
 * from step to step, and the band keeps its extremes visible).
 */
export function scheduleWindows(w: readonly number[], lrScale: readonly number[]): Row[] {
  const size = Math.max(1, Math.ceil(w.length / SCHEDULE_POINTS));
  const rows: Row[] = [];
  for (let start = 0; start < w.length; start += size) {
    const end = Math.min(w.length, start + size);
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = start; i < end; i++) {
      const s = lrScale[i] as number;
      sum += s;
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    rows.push({
      step: end,
      w: w[end - 1] as number,
      lrScale: sum / (end - start),
      lrScaleMin: min,
      lrScaleMax: max,
    });
  }
  return rows;
}

/** The feature flags in use, for the subtitle ("" when none). */
function featureText({ features }: ExperimentResults): string {
  const parts: string[] = [];
  if (features.schedule !== "constant") parts.push(`${features.schedule} schedule`);
  if (features.weightDecay > 0) parts.push(`weight decay ${features.weightDecay}`);
  if (Number.isFinite(features.clipNorm)) parts.push(`clip norm ${features.clipNorm}`);
  return parts.length > 0 ? `, ${parts.join(", ")}` : "";
}

export function chartSpec(results: ExperimentResults): TopLevelSpec {
  const epochs = perEpoch(results);
  const color = { field: "optimizer", type: "nominal", title: "optimizer" } as const;
  const epochAxis = {
    field: "epoch",
    type: "quantitative",
    title: "epoch",
    axis: { tickMinStep: 1, format: "d" },
  } as const;
  const accuracy = {
    title: "Test accuracy after each epoch",
    width: 380,
    height: 260,
    data: { values: epochs },
    mark: { type: "line", point: true },
    encoding: {
      x: epochAxis,
      y: {
        field: "testAccuracy",
        type: "quantitative",
        title: "test accuracy",
        scale: { zero: false },
        axis: { format: ".1%" },
      },
      color,
    },
  } as const;
  const loss = {
    title: "Training loss per epoch (mean cross-entropy)",
    width: 380,
    height: 260,
    data: { values: epochs },
    mark: { type: "line", point: true },
    encoding: {
      x: epochAxis,
      y: {
        field: "trainLoss",
        type: "quantitative",
        title: "training loss (log scale)",
        scale: { type: "log" },
      },
      color,
    },
  } as const;
  const blended = results.optimizers.filter((o) => o.steps !== undefined);
  const a2s = blended[0];
  const panels: object[] = [{ hconcat: [accuracy, loss] }];
  if (a2s?.steps) {
    const size = Math.max(1, Math.ceil(a2s.steps.w.length / SCHEDULE_POINTS));
    const step = { field: "step", type: "quantitative", title: "step" } as const;
    const wRows = blended.flatMap((o) =>
      scheduleWindows(o.steps?.w ?? [], o.steps?.lrScale ?? []).map((row) => ({
        ...row,
        optimizer: o.label,
      })),
    );
    // The automatic switch's step, marked on the w panel.
    const switches = blended.flatMap((o) =>
      o.switch?.switchedAt
        ? [{ optimizer: o.label, step: o.switch.switchedAt, lrSgd: o.switch.lrSgd ?? 0 }]
        : [],
    );
    const w = {
      title: "Blend weight w (1 = Adam, 0 = SGD with momentum); dashed: where the automatic switch fired",
      width: 380,
      height: 200,
      layer: [
        {
          data: { values: wRows },
          mark: { type: "line" },
          encoding: {
            x: step,
            y: { field: "w", type: "quantitative", title: "w", scale: { domain: [0, 1] } },
            color,
          },
        },
        ...(switches.length > 0
          ? [
              {
                data: { values: switches },
                mark: { type: "rule", strokeDash: [4, 3] },
                encoding: { x: step, color },
              },
            ]
          : []),
      ],
    } as const;
    const rows = scheduleWindows(a2s.steps.w, a2s.steps.lrScale);
    // Its own panel and axis: lrScale stays near 1, where w's 0..1 axis would flatten it.
    const lrScale = {
      title: `${a2s.label}: lrScale (mean of ${size} steps; band: min..max)`,
      width: 380,
      height: 200,
      data: { values: rows },
      encoding: { x: step },
      layer: [
        {
          mark: { type: "area", opacity: 0.3, color: "#4c78a8" },
          encoding: {
            y: { field: "lrScaleMin", type: "quantitative", title: "lrScale", scale: { zero: false } },
            y2: { field: "lrScaleMax" },
          },
        },
        {
          mark: { type: "line", color: "#1f4e79", strokeWidth: 1.2 },
          encoding: { y: { field: "lrScale", type: "quantitative" } },
        },
      ],
    } as const;
    panels.push({ hconcat: [w, lrScale] });
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: `Seed MLP on MNIST: ${results.optimizers.map((o) => o.label).join(", ")}`,
      subtitle: `adapter ${results.adapter}, batch ${results.batchSize}, ${results.epochs} epochs, seed ${results.seed}${featureText(results)}`,
    },
    vconcat: panels,
    config: { font: "sans-serif", view: { stroke: "#ddd" }, legend: { labelLimit: 300 } },
  } as TopLevelSpec;
}

export async function renderChart(results: ExperimentResults): Promise<string> {
  const view = new View(parse(compile(chartSpec(results)).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
