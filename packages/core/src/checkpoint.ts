/**
 * The portable checkpoint: optimizer metadata plus named float arrays, to and from bytes.
 * State saved by one adapter loads in any other. Layout (all integers little-endian):
 *
 * | bytes        | content                                                        |
 * | ------------ | -------------------------------------------------------------- |
 * | 0..7         | magic `A2SCKPT\0`                                              |
 * | 8..11        | format version (u32): 2 is written, 1 and 2 are read           |
 * | 12..15       | header length H in bytes (u32)                                 |
 * | 16..16+H     | header, UTF-8 JSON (see {@link CheckpointHeader})              |
 * | padding      | zeros up to a multiple of 8                                    |
 * | data         | per tensor, per slot in header order: the raw elements, each   |
 * |              | array padded with zeros to a multiple of 8 bytes               |
 * | last 4 bytes | CRC-32 (IEEE) of every byte before it                          |
 *
 * Format 2 adds per-optimizer scalars to the header and writes options as JSON data
 * (schedules, groups, `"Infinity"`); format 1 headers hold numeric options only.
 */
import { CheckpointError } from "./errors.js";
import { dtypeOf, type FloatArray, type FloatDType } from "./host-arrays.js";

export const CHECKPOINT_MAGIC = "A2SCKPT\0";
/** The format this build writes. */
export const CHECKPOINT_FORMAT_VERSION = 2;
/** Every format this build reads. */
export const READABLE_CHECKPOINT_VERSIONS: readonly number[] = Object.freeze([1, 2]);

/** One optimized tensor: its name, shape and slot arrays (all of one length and dtype). */
export interface CheckpointTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** Slot arrays by slot name, in header order. */
  readonly slots: Readonly<Record<string, FloatArray>>;
}

/** Optimizer state in a form every adapter can read. */
export interface Checkpoint {
  /** The format the bytes were read from (always {@link CHECKPOINT_FORMAT_VERSION} when written). */
  readonly version?: number;
  /** `"A2S"`, `"Adam"`, `"RMSProp"`, `"SGDMomentum"` or a defined algorithm's name. */
  readonly algorithm: string;
  /** The options as JSON data (see `optionSetToJSON`). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Steps taken so far. */
  readonly t: number;
  /** Per-optimizer scalars by name. */
  readonly scalars: Readonly<Record<string, number>>;
  /** In the optimizer's tensor order. */
  readonly tensors: readonly CheckpointTensor[];
}

/** The JSON header as stored. */
export interface CheckpointHeader {
  algorithm: string;
  options: Record<string, unknown>;
  t: number;
  /** Format 2 only. */
  scalars?: Record<string, number>;
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

/** Serialises a checkpoint in the current format. The arrays are copied. */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const header: CheckpointHeader = {
    algorithm: checkpoint.algorithm,
    options: { ...checkpoint.options },
    t: checkpoint.t,
    scalars: { ...checkpoint.scalars },
    tensors: checkpoint.tensors.map((tensor) => {
      const slots = Object.keys(tensor.slots);
      const first = slots[0] === undefined ? undefined : tensor.slots[slots[0]];
      return {
        name: tensor.name,
        shape: [...tensor.shape],
        dtype: first ? dtypeOf(first) : "float32",
        length: first ? first.length : tensor.shape.reduce((a, b) => a * b, 1),
        slots,
      };
    }),
  };
  checkHeader(header, CHECKPOINT_FORMAT_VERSION, (detail) => {
    throw new CheckpointError("header", `cannot write: ${detail}`);
  });
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
  header.tensors.forEach((entry, k) => {
    const tensor = checkpoint.tensors[k] as CheckpointTensor;
    for (const slot of entry.slots) {
      const array = tensor.slots[slot] as FloatArray;
      if (array.length !== entry.length || dtypeOf(array) !== entry.dtype) {
        throw new CheckpointError("tensors", `slots of ${entry.name} differ in length or dtype`);
      }
      writeArray(view, offset, array);
      offset += pad8(array.byteLength);
    }
  });
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

/**
 * Parses and checks a checkpoint of any readable format: magic, format version,
 * checksum, every header field (as strictly as user input) and that every stored number
 * is finite. Throws {@link CheckpointError}; returns fresh arrays that share nothing
 * with `bytes`. What the values mean for an algorithm is checked by the loader.
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
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
  if (!READABLE_CHECKPOINT_VERSIONS.includes(version)) {
    throw new CheckpointError(
      "version",
      `format version ${version}, this build reads ${READABLE_CHECKPOINT_VERSIONS.join(" and ")}`,
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
  checkHeader(header, version, (detail) => {
    throw new CheckpointError("header", detail);
  });
  const tensors: CheckpointTensor[] = [];
  let offset = pad8(16 + headerLength);
  for (const entry of header.tensors) {
    const bytesPer = entry.dtype === "float64" ? 8 : 4;
    // A null prototype: slot names come from the bytes, and "__proto__" must stay data.
    const slots: Record<string, FloatArray> = Object.create(null);
    for (const slot of entry.slots) {
      if (offset + entry.length * bytesPer > body) {
        throw new CheckpointError("truncated", `data of ${entry.name}.${slot}`);
      }
      const array = readArray(view, offset, entry.dtype, entry.length);
      for (let i = 0; i < array.length; i++) {
        const x = array[i] as number;
        if (x - x !== 0) throw new CheckpointError("data", `${entry.name}.${slot}[${i}] is ${x}`);
      }
      slots[slot] = array;
      offset += pad8(entry.length * bytesPer);
    }
    tensors.push({ name: entry.name, shape: entry.shape, slots });
  }
  if (offset !== body)
    throw new CheckpointError("data", `${body - offset} bytes left over after the last array`);
  return {
    version,
    algorithm: header.algorithm,
    options: header.options,
    t: header.t,
    scalars: header.scalars ?? {},
    tensors,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function checkHeader(header: CheckpointHeader, version: number, fail: (detail: string) => never): void {
  if (!isRecord(header)) fail("not an object");
  if (typeof header.algorithm !== "string" || header.algorithm === "") fail("algorithm is not a name");
  if (!isRecord(header.options)) fail("options missing");
  if (!Number.isSafeInteger(header.t) || header.t < 0) fail(`step count ${header.t} is not an integer >= 0`);
  if (version >= 2) {
    if (!isRecord(header.scalars)) fail("scalars missing");
    for (const [name, value] of Object.entries(header.scalars ?? {})) {
      if (typeof value !== "number" || !Number.isFinite(value))
        fail(`scalar ${name} is ${value}, not a finite number`);
    }
  } else if (header.scalars !== undefined) {
    fail("format 1 has no scalars");
  }
  if (!Array.isArray(header.tensors)) fail("tensors is not a list");
  const seen = new Set<string>();
  for (const entry of header.tensors) {
    if (!isRecord(entry) || typeof entry.name !== "string" || entry.name === "" || seen.has(entry.name)) {
      fail(`bad or repeated tensor name ${JSON.stringify(entry?.name)}`);
    }
    seen.add(entry.name);
    if (entry.dtype !== "float32" && entry.dtype !== "float64") fail(`${entry.name}: dtype ${entry.dtype}`);
    if (!Number.isSafeInteger(entry.length) || entry.length < 0)
      fail(`${entry.name}: length ${entry.length}`);
    if (
      !Array.isArray(entry.shape) ||
      entry.shape.some((size) => !Number.isSafeInteger(size) || size < 0) ||
      entry.shape.reduce((a, b) => a * b, 1) !== entry.length
    ) {
      fail(`${entry.name}: shape [${entry.shape}] is not sizes >= 0 holding ${entry.length} elements`);
    }
    if (
      !Array.isArray(entry.slots) ||
      entry.slots.some((s) => typeof s !== "string" || s === "") ||
      new Set(entry.slots).size !== entry.slots.length
    ) {
      fail(`${entry.name}: slots [${entry.slots}] are not distinct names`);
    }
  }
}
