/** What the CLI tests share: captured output streams and IDX files written to a folder. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { gzipSync } from "node:zlib";
import { MNIST_FILES } from "@a2s/mnist";
import type { Io } from "../src/main.js";

/** An {@link Io} whose stdout and stderr are collected as text. */
export function capture(cwd: string): { io: Io; out: () => string; err: () => string } {
  const streams = [new PassThrough(), new PassThrough()];
  const text = ["", ""];
  streams.forEach((s, i) => {
    s.on("data", (chunk) => {
      text[i] += String(chunk);
    });
  });
  const [stdout, stderr] = streams as unknown as [NodeJS.WriteStream, NodeJS.WriteStream];
  return { io: { stdout, stderr, cwd }, out: () => text[0] as string, err: () => text[1] as string };
}

/** Writes an IDX file of unsigned bytes (header for `dims`, then `body`), gzipped when the name ends in .gz. */
export async function writeIdx(path: string, dims: number[], body: Uint8Array): Promise<void> {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => {
    new DataView(header.buffer).setUint32(4 + 4 * i, d, false);
  });
  const bytes = Buffer.concat([header, body]);
  await writeFile(path, path.endsWith(".gz") ? gzipSync(bytes) : bytes);
}

/** How many images and labels each of the four files holds. */
export interface MnistCounts {
  trainImages: number;
  trainLabels: number;
  testImages: number;
  testLabels: number;
}

/**
 * The four MNIST files in `dir` with valid headers: 28 x 28 images of a grey ramp and
 * labels cycling through 0..9, in the counts given (which may disagree on purpose).
 */
export async function writeMnistFolder(dir: string, counts: MnistCounts): Promise<void> {
  const images = (count: number) => Uint8Array.from({ length: count * 784 }, (_, i) => i % 256);
  const labels = (count: number) => Uint8Array.from({ length: count }, (_, i) => i % 10);
  await writeIdx(
    join(dir, MNIST_FILES.trainImages),
    [counts.trainImages, 28, 28],
    images(counts.trainImages),
  );
  await writeIdx(join(dir, MNIST_FILES.trainLabels), [counts.trainLabels], labels(counts.trainLabels));
  await writeIdx(join(dir, MNIST_FILES.testImages), [counts.testImages, 28, 28], images(counts.testImages));
  await writeIdx(join(dir, MNIST_FILES.testLabels), [counts.testLabels], labels(counts.testLabels));
}
