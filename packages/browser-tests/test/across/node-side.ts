/**
 * The Node half of the checkpoint crossing: Vitest browser commands (registered in
 * vitest.config.ts) that the browser test calls, which run in the Node process of Vitest
 * on Node's builds of the same adapters.
 */
import type { AdapterDescription } from "@a2s/conformance";
import type { FloatDType } from "@a2s/core";
import { typedAdapter } from "@a2s/typed/conformance";
import type { BrowserCommand } from "vitest/node";
import { tfjsAdapter } from "../../../tfjs/test/adapter.js";
import { useBackend } from "../../../tfjs/test/backends.js";
import { type AcrossAdapter, loadAndContinue, powers, runAndSave, type Saved } from "./continuation.js";

const ADAPTERS: Record<AcrossAdapter, () => AdapterDescription> = {
  typed: () => typedAdapter(),
  "tfjs wasm": () => tfjsAdapter("wasm", useBackend),
};

const nodeRunAndSave: BrowserCommand<[AcrossAdapter, string, FloatDType]> = (
  _context,
  adapter,
  subject,
  dtype,
) => runAndSave(ADAPTERS[adapter](), subject, dtype);
const nodeLoadAndContinue: BrowserCommand<[AcrossAdapter, string, FloatDType, Saved]> = (
  _context,
  adapter,
  subject,
  dtype,
  saved,
) => loadAndContinue(ADAPTERS[adapter](), subject, dtype, saved);
const nodePowers: BrowserCommand<[]> = () => powers();

export const nodeCommands = { nodeRunAndSave, nodeLoadAndContinue, nodePowers };
