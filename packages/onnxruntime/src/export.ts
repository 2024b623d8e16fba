/** Writing an exported model to disk. */
import { writeFile } from "node:fs/promises";

/**
 * Writes model bytes (e.g. `trainer.exportModel()`) to `path`, conventionally ending in
 * `.onnx`. Any ONNX runtime loads the file; it needs opset 17.
 */
export function saveModel(path: string, bytes: Uint8Array): Promise<void> {
  return writeFile(path, bytes);
}
