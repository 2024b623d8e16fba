/** Messages between the page and the training worker. */
import type { RunRequest, RunSummary } from "./training.js";

export interface TrainMessage extends RunRequest {
  type: "train";
  /** Absolute URL of the folder holding the IDX files (a worker cannot resolve the page's relative one). */
  dataUrl: string;
}

/** Steps since the last report, reported together so the page redraws a few times a second. */
export interface ProgressMessage {
  type: "progress";
  /** Step number of `losses[0]` (1-based). */
  firstStep: number;
  losses: number[];
  /** A2S only; empty for the baselines. */
  w: number[];
  lrScale: number[];
  stepsPerSecond: number;
}

export interface AccuracyMessage {
  type: "accuracy";
  step: number;
  accuracy: number;
}

export interface StatusMessage {
  type: "status";
  text: string;
}

export interface DoneMessage {
  type: "done";
  summary: RunSummary;
}

export interface ErrorMessage {
  type: "error";
  /** The error's class name (InvalidOptionError, MnistFileError, ...). */
  name: string;
  message: string;
}

export type WorkerMessage = ProgressMessage | AccuracyMessage | StatusMessage | DoneMessage | ErrorMessage;
