/** Writing an exported model to disk. */

/**
 * Writes model bytes (e.g. `trainer.exportModel()`) to `path`, conventionally ending in
 * `.onnx`. Any ONNX runtime loads the file; it needs opset 17. Node only (a browser
 * downloads the bytes instead).
 */
export async function saveModel(path: string, bytes: Uint8Array): Promise<void> {
  // Loaded here, not at the top, so that bundles for the browser need no file system.
  const { writeFile } = await import("node:fs/promises");
  await writeFile(path, bytes);
}
