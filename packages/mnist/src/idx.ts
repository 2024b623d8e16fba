/**
 * The IDX format (LeCun's MNIST files): two zero bytes, a type byte, a dimension count,
 * then one big-endian u32 per dimension, then the elements in row-major order.
 */
import { MnistFileError } from "./errors.js";

/** Type byte of unsigned bytes, the only element type MNIST uses. */
const UBYTE = 0x08;

/** The first two bytes of a gzip stream. */
export const GZIP_MAGIC = Object.freeze([0x1f, 0x8b] as const);

/** Bytes of an IDX file as read or fetched: an `ArrayBuffer` or any view of one. */
export type IdxBytes = ArrayBufferLike | ArrayBufferView;

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
export function parseIdx(input: IdxBytes, file: string, expectRank: number): IdxArray {
  const bytes = asBytes(input);
  if (bytes.length < 4) throw new MnistFileError(file, "truncated", `only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gzip = bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1] ? " (gzip: inflate it first)" : "";
    throw new MnistFileError(
      file,
      "magic",
      `starts with ${hex(bytes[0])} ${hex(bytes[1])}, not 00 00${gzip}`,
    );
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

/**
 * The IDX file of unsigned bytes with dimensions `dims` and elements `data` (row-major,
 * exactly the product of `dims` of them): the inverse of {@link parseIdx}, for cutting
 * or writing a set. Throws `RangeError` for dimensions or a length that do not fit.
 */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  if (dims.length < 1 || dims.length > 255) {
    throw new RangeError(`an IDX file has 1..255 dimensions; got ${dims.length}`);
  }
  for (const d of dims) {
    if (!(Number.isInteger(d) && d >= 0 && d <= 0xffff_ffff)) {
      throw new RangeError(`dimension ${d} is not an integer in 0..2^32-1`);
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new RangeError(`dimensions [${dims.join(", ")}] need ${count} elements; got ${data.length}`);
  }
  const headerLength = 4 + 4 * dims.length;
  const bytes = new Uint8Array(headerLength + count);
  bytes[2] = UBYTE;
  bytes[3] = dims.length;
  const view = new DataView(bytes.buffer);
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  bytes.set(data, headerLength);
  return bytes;
}

function asBytes(input: IdxBytes): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return new Uint8Array(input);
}

function hex(byte: number | undefined): string {
  return `0x${(byte ?? 0).toString(16).padStart(2, "0")}`;
}
