/** The page: both panels, and the autorun that `?autorun&stack=...&optimizer=...&steps=...` asks for. */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { MnistPanel } from "./mnist-panel.js";
import { PathsPanel } from "./paths-panel.js";
import { parsePageParams } from "./url-params.js";

const mnist = new MnistPanel(document.getElementById("mnist") as HTMLElement);
new PathsPanel(document.getElementById("paths") as HTMLElement);

try {
  const params = parsePageParams(location.search);
  mnist.applyParams(params);
  // The panel shows any failure in its status line and in #results.
  if (params.autorun) mnist.train().catch(() => {});
} catch (error) {
  mnist.showError(error as Error);
}
