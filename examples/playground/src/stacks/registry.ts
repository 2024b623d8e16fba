/**
 * The stacks the page offers. Each loads its module on first use, so a run on @a2s/typed
 * never downloads TensorFlow.js. Adding a stack is its module and one entry here.
 */
import type { Stack } from "./stack.js";

export interface StackEntry {
  label: string;
  load(): Promise<Stack>;
}

export const STACKS = {
  typed: {
    label: "@a2s/typed (Float32Array)",
    load: () => import("./typed.js").then((m) => m.typedStack),
  },
  "tfjs-webgl": {
    label: "@a2s/tfjs, webgl backend",
    load: () => import("./tfjs.js").then((m) => m.tfjsStack("webgl")),
  },
  "tfjs-wasm": {
    label: "@a2s/tfjs, wasm backend",
    load: () => import("./tfjs.js").then((m) => m.tfjsStack("wasm")),
  },
  "tfjs-cpu": {
    label: "@a2s/tfjs, cpu backend",
    load: () => import("./tfjs.js").then((m) => m.tfjsStack("cpu")),
  },
  onnxruntime: {
    label: "@a2s/onnxruntime, onnxruntime-web (wasm)",
    load: () => import("./onnxruntime.js").then((m) => m.onnxruntimeStack),
  },
} satisfies Record<string, StackEntry>;

export type StackId = keyof typeof STACKS;
export const STACK_IDS = Object.keys(STACKS) as StackId[];

export function isStackId(value: string): value is StackId {
  return Object.hasOwn(STACKS, value);
}
