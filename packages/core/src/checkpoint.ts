/**
 * The portable checkpoint: optimizer metadata plus named float arrays, to and from bytes.
 * State saved by one adapter loads in any other. Layout (all integers little-endian):
 *
 * | bytes        | content                                                        |
 * | ------------ | -------------------------------------------------------------- |
 * | 0..7         | magic `A2SCKPT\0`                                              |
 * | 8..11        | format version (u32), currently 1                              |
 * | 12..15       | header length H in bytes (u32)                                 |
 * | 16..16+H     | header, UTF-8 JSON (see {@link CheckpointHeader})              |
 * | padding      | zeros up to a multiple of 8                                    |
 * | data         | per tensor, per slot in header order: the raw elements, each   |
 * |              | array padded with zeros to a multiple of 8 bytes               |
 * | last 4 bytes | CRC-32 (IEEE) of every byte before it                          |
 */
import { CheckpointError } from "./errors.js";
import { dtypeOf, type FloatArray, type FloatDType } from "./host-arrays.js";

export const CHECKPOINT_MAGIC = "A2SCKPT\0";
export const CHECKPOINT_FORMAT_VERSION = 1;

/** One optimized tensor: its shape and its slot arrays (all of the same length and dtype). */
export interface CheckpointTensor {
  shape: number[];
  slots: Record<string, FloatArray>;
}

/** Optimizer state in a form every adapter can read. */
export interface Checkpoint {
  /** `"A2S"`, `"Adam"`, `"RMSProp"` or `"SGDMomentum"`. */
  algorithm: string;
  /** The resolved hyperparameters. */
  options: Record<string, number>;
  /** Steps taken so far. */
  t: number;
  /** Per tensor name, in the optimizer's tensor order. */
  tensors: Record<string, CheckpointTensor>;
}

/** The JSON header as stored. */
export interface CheckpointHeader {
  algorithm: string;
  options: Record<string, number>;
  t: number;
  tensors: { name: string; shape: number[]; dtype: FloatDType; length: number; slots: string[] }[];
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const pad8 = (n: number) => (n + 7) & ~7;

/** Serialises a checkpoint. The arrays are copied; the checkpoint object is not kept. */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const header: CheckpointHeader = {
    algorithm: checkpoint.algorithm,
    options: checkpoint.options,
    t: checkpoint.t,
    tensors: Object.entries(checkpoint.tensors).map(([name, tensor]) => {
      const slots = Object.keys(tensor.slots);
      const firstSlot = slots[0] === undefined ? undefined : tensor.slots[slots[0]];
      return {
        name,
        shape: tensor.shape,
        dtype: firstSlot ? dtypeOf(firstSlot) : "float32",
        length: firstSlot ? firstSlot.length : 0,
        slots,
      };
    }),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  let size = pad8(16 + headerBytes.length);
  for (const entry of header.tensors) {
    const bytesPer = entry.dtype === "float64" ? 8 : 4;
    size += entry.slots.length * pad8(entry.length * bytesPer);
  }
  const out = new Uint8Array(size + 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = CHECKPOINT_MAGIC.charCodeAt(i);
  view.setUint32(8, CHECKPOINT_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, 16);
  let offset = pad8(16 + headerBytes.length);
  for (const entry of header.tensors) {
    const tensor = checkpoint.tensors[entry.name] as CheckpointTensor;
    for (const slot of entry.slots) {
      const array = tensor.slots[slot] as FloatArray;
      if (array.length !== entry.length || dtypeOf(array) !== entry.dtype) {
        throw new CheckpointError("tensors", `slots of ${entry.name} differ in length or dtype`);
      }
      writeArray(view, offset, array);
      offset += pad8(array.byteLength);
    }
  }
  view.setUint32(size, crc32(out.subarray(0, size)), true);
  return out;
}

function writeArray(view: DataView, offset: number, array: FloatArray): void {
  if (array instanceof Float64Array) {
    for (let i = 0; i < array.length; i++) view.setFloat64(offset + 8 * i, array[i] as number, true);
  } else {
    for (let i = 0; i < array.length; i++) view.setFloat32(offset + 4 * i, array[i] as number, true);
  }
}

function readArray(view: DataView, offset: number, dtype: FloatDType, length: number): FloatArray {
  if (dtype === "float64") {
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) out[i] = view.getFloat64(offset + 8 * i, true);
    return out;
  }
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getFloat32(offset + 4 * i, true);
  return out;
}

/** What a loader expects: the algorithm and its slot names. */
export interface CheckpointExpectation {
  algorithm: string;
  slots: readonly string[];
}

/**
 * Parses and checks a checkpoint: magic, format version, checksum, header, algorithm,
 * slot names, lengths, and that every stored number is finite. Throws
 * {@link CheckpointError}; returns fresh arrays that share nothing with `bytes`.
 */
export function decodeCheckpoint(bytes: Uint8Array, expect?: CheckpointExpectation): Checkpoint {
  if (!(bytes instanceof Uint8Array)) {
    throw new CheckpointError("magic", "expected a Uint8Array");
  }
  if (bytes.length < 20) throw new CheckpointError("truncated", `only ${bytes.length} bytes`);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== CHECKPOINT_MAGIC.charCodeAt(i)) {
      throw new CheckpointError("magic", "these bytes are not an A2S checkpoint");
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      "version",
      `format version ${version}, this build reads ${CHECKPOINT_FORMAT_VERSION}`,
    );
  }
  const body = bytes.length - 4;
  if (crc32(bytes.subarray(0, body)) !== view.getUint32(body, true)) {
    throw new CheckpointError("checksum", "the CRC-32 does not match: the bytes are damaged or truncated");
  }
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > body) throw new CheckpointError("truncated", "header runs past the end");
  let header: CheckpointHeader;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(16, 16 + headerLength)),
    );
  } catch (error) {
    throw new CheckpointError("header", `header is not JSON (${(error as Error).message})`);
  }
  checkHeader(header);
  if (expect && header.algorithm !== expect.algorithm) {
    throw new CheckpointError(
      "algorithm",
      `saved by ${JSON.stringify(header.algorithm)}, cannot load into ${expect.algorithm}`,
    );
  }
  const tensors: Record<string, CheckpointTensor> = {};
  let offset = pad8(16 + headerLength);
  for (const entry of header.tensors) {
    if (expect && entry.slots.join(",") !== expect.slots.join(",")) {
      throw new CheckpointError(
        "tensors",
        `tensor ${entry.name} has slots [${entry.slots}], ${expect.algorithm} keeps [${expect.slots}]`,
      );
    }
    const bytesPer = entry.dtype === "float64" ? 8 : 4;
    const slots: Record<string, FloatArray> = {};
    for (const slot of entry.slots) {
      if (offset + entry.length * bytesPer > body)
        throw new CheckpointError("truncated", `data of ${entry.name}.${slot}`);
      const array = readArray(view, offset, entry.dtype, entry.length);
      for (let i = 0; i < array.length; i++) {
        const x = array[i] as number;
        if (x - x !== 0) throw new CheckpointError("data", `${entry.name}.${slot}[${i}] is ${x}`);
      }
      slots[slot] = array;
      offset += pad8(entry.length * bytesPer);
    }
    tensors[entry.name] = { shape: entry.shape, slots };
  }
  if (offset !== body)
    throw new CheckpointError("data", `${body - offset} bytes left over after the last array`);
  return { algorithm: header.algorithm, options: header.options, t: header.t, tensors };
}

function checkHeader(header: CheckpointHeader): void {
  const fail = (detail: string): never => {
    throw new CheckpointError("header", detail);
  };
  if (typeof header !== "object" || header === null) fail("not an object");
  if (typeof header.algorithm !== "string") fail("algorithm is not a string");
  if (typeof header.options !== "object" || header.options === null) fail("options missing");
  if (!Number.isSafeInteger(header.t) || header.t < 0) fail(`step count ${header.t} is not an integer >= 0`);
  if (!Array.isArray(header.tensors)) fail("tensors is not a list");
  const seen = new Set<string>();
  for (const entry of header.tensors) {
    if (typeof entry?.name !== "string" || seen.has(entry.name))
      fail(`bad or repeated tensor name ${entry?.name}`);
    seen.add(entry.name);
    if (entry.dtype !== "float32" && entry.dtype !== "float64") fail(`${entry.name}: dtype ${entry.dtype}`);
    if (!Number.isSafeInteger(entry.length) || entry.length < 0)
      fail(`${entry.name}: length ${entry.length}`);
    if (!Array.isArray(entry.shape) || entry.shape.reduce((a, b) => a * b, 1) !== entry.length) {
      fail(`${entry.name}: shape [${entry.shape}] does not hold ${entry.length} elements`);
    }
    if (!Array.isArray(entry.slots) || entry.slots.some((s) => typeof s !== "string"))
      fail(`${entry.name}: slots`);
  }
}
