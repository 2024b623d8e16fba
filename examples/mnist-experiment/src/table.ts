/** The closing table: per optimizer, the last epoch's figures and the mean time per epoch. */
import type { ExperimentResults } from "./results.js";

export function formatTable(results: ExperimentResults): string {
  const header = ["optimizer", "test accuracy", "training loss", "s / epoch"];
  const rows = results.optimizers.map((o) => {
    const last = o.epochs.at(-1);
    const seconds = o.epochs.reduce((sum, e) => sum + e.seconds, 0) / Math.max(1, o.epochs.length);
    return [
      o.label,
      last ? `${(100 * last.testAccuracy).toFixed(2)}%` : "-",
      last ? last.trainLoss.toFixed(4) : "-",
      seconds.toFixed(2),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join("  ");
  const title = `after ${results.epochs} epoch${results.epochs === 1 ? "" : "s"}, adapter ${results.adapter}, seed ${results.seed}`;
  const switches = results.optimizers.flatMap((o) =>
    o.switch === undefined
      ? []
      : [
          o.switch.switchedAt === null
            ? `${o.label}: the automatic switch did not fire`
            : `${o.label}: switched at step ${o.switch.switchedAt}, SGD rate ${o.switch.lrSgd?.toPrecision(3)} (estimate ${o.switch.sgdEstimate?.toPrecision(3)})`,
        ],
  );
  return [
    title,
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
    ...switches,
  ].join("\n");
}
