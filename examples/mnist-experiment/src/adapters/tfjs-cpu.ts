/** `--adapter tfjs-cpu`: the tfjs adapter on TensorFlow.js's plain JavaScript cpu backend. */
import { tfjsAdapter } from "./tfjs.js";

export default tfjsAdapter("cpu");
