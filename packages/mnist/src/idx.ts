/**
 * The IDX format (LeCun's MNIST files): two zero bytes, a type byte, a dimension count,
 * then one big-endian u32 per dimension, then the elements in row-major order.
 */
import { MnistFileError } from "./errors.js";

/** Type byte of unsigned bytes, the only element type MNIST uses. */
const UBYTE = 0x08;

/** A parsed IDX file: its dimensions and its elements (a view into the input bytes). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses IDX bytes and checks them against `expectRank` dimensions: magic, element type,
 * header length, and that the body holds exactly the product of the dimensions.
 * `file` names the source in errors. Throws {@link MnistFileError}.
 */
export function parseIdx(bytes: Uint8Array, file: string, expectRank: number): IdxArray {
  if (bytes.length < 4) throw new MnistFileError(file, "truncated", `only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new MnistFileError(file, "magic", `starts with ${hex(bytes[0])} ${hex(bytes[1])}, not 00 00`);
  }
  if (bytes[2] !== UBYTE) {
    throw new MnistFileError(file, "dtype", `element type ${hex(bytes[2])}, expected 0x08 (unsigned byte)`);
  }
  const rank = bytes[3] as number;
  if (rank !== expectRank) {
    throw new MnistFileError(file, "dimensions", `${rank} dimensions, expected ${expectRank}`);
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new MnistFileError(
      file,
      "truncated",
      `header needs ${headerLength} bytes, file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const body = bytes.length - headerLength;
  if (body < count) {
    throw new MnistFileError(
      file,
      "truncated",
      `header [${dims.join(", ")}] promises ${count} bytes of data, file holds ${body}`,
    );
  }
  if (body > count) {
    throw new MnistFileError(
      file,
      "trailing",
      `header [${dims.join(", ")}] promises ${count} bytes of data, file holds ${body}`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

function hex(byte: number | undefined): string {
  return `0x${(byte ?? 0).toString(16).padStart(2, "0")}`;
}
