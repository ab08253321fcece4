// safetensors: u64 little-endian header length N, N bytes of JSON
// {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}},
// then the raw little-endian data; offsets are relative to the byte after the header. Following
// the reference implementation, the tensors must tile the data exactly: sorted by offset, each
// begins where the previous ended, the last ends at the end of the file, and each holds exactly
// numel × element size bytes. Everything is checked before any tensor is allocated.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Tensor, shapeSize } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic, type ByteSink } from './atomic.js';
import { bytesSource, fileSource, readBytes, type ByteSource } from './byte_source.js';
import {
  bf16ToFloat32Array,
  bytesOf,
  entriesOf,
  halfToFloat32Array,
  int64ToInt32Array,
  readTyped,
  type TensorCollection,
} from './tensor_data.js';

/** The reference implementation's limit; a real header is kilobytes. */
export const MAX_HEADER_BYTES = 100_000_000;
const MAX_RANK = 64;

const ELEMENT_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
/** The dtypes we convert on read (to float32 or int32). */
const READABLE = new Set(['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64']);

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[]; // in data order
  metadata: Record<string, string>;
  dataStart: number;
}

export interface SafetensorsContents {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

function fail(label: string, msg: string): never {
  throw new UserError(`${label}: ${msg}`);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Reads and validates the header of a safetensors source. */
export function readSafetensorsHeader(src: ByteSource): SafetensorsHeader {
  const L = src.label;
  if (src.size < 8) fail(L, `not a safetensors file: ${src.size} bytes, shorter than the 8-byte header length`);
  const lenBytes = readBytes(src, 0, 8);
  const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (n < 2n) fail(L, `not a safetensors file: header length ${n} is too small`);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(L, `not a safetensors file: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > BigInt(src.size - 8)) fail(L, `truncated or corrupt: header length ${n} but the file has only ${src.size - 8} bytes after it`);
  const headerLen = Number(n);
  const raw = readBytes(src, 8, headerLen);
  if (raw[0] !== 0x7b) fail(L, 'not a safetensors file: the header does not start with "{"');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    fail(L, `corrupt header: not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(L, 'corrupt header: not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = src.size - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(L, '__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') fail(L, `__metadata__ value for '${k}' is not a string`);
        metadata[k] = s;
      }
      continue;
    }
    const T = `tensor '${name}'`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(L, `${T}: header entry is not an object`);
    const { dtype, shape, data_offsets: offs } = v as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in ELEMENT_BYTES)) fail(L, `${T}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isNonNegInt)) fail(L, `${T}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isNonNegInt) || (offs[0] as number) > (offs[1] as number)) fail(L, `${T}: data_offsets ${JSON.stringify(offs)} is not [begin, end] with 0 <= begin <= end`);
    const [b, e] = offs as [number, number];
    if (e > dataLen) fail(L, `${T}: data_offsets [${b}, ${e}] run past the end of the data (${dataLen} bytes): the file is truncated or corrupt`);
    // Overflow-safe: compare in floating point first; both sides are bounded by the file size.
    let numel = 1;
    for (const d of shape as number[]) numel *= d;
    const want = numel * ELEMENT_BYTES[dtype]!;
    if (want !== e - b) fail(L, `${T}: shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${want} bytes but data_offsets [${b}, ${e}] hold ${e - b}`);
    entries.push({ name, dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = dataStart;
  for (const en of entries) {
    if (en.begin < pos) fail(L, `tensor '${en.name}': data_offsets [${en.begin - dataStart}, ${en.end - dataStart}] overlap the previous tensor (which ends at ${pos - dataStart})`);
    if (en.begin > pos) fail(L, `tensor '${en.name}': data_offsets start at ${en.begin - dataStart}, leaving a gap after byte ${pos - dataStart}`);
    pos = en.end;
  }
  if (pos !== src.size) fail(L, `the header describes ${pos - dataStart} bytes of data but the file holds ${dataLen} (extra bytes at the end)`);
  return { entries, metadata, dataStart };
}

function readEntry(src: ByteSource, e: SafetensorsEntry): Tensor {
  const n = e.end - e.begin;
  const fill = (u8: Uint8Array): void => src.readInto(e.begin, u8);
  const what = (): string => `${src.label}: tensor '${e.name}'`;
  let data: Float32Array | Int32Array;
  switch (e.dtype) {
    case 'F32': data = readTyped(n, fill, (b) => new Float32Array(b)); break;
    case 'I32': data = readTyped(n, fill, (b) => new Int32Array(b)); break;
    case 'F16': data = halfToFloat32Array(readTyped(n, fill, (b) => new Uint16Array(b))); break;
    case 'BF16': data = bf16ToFloat32Array(readTyped(n, fill, (b) => new Uint16Array(b))); break;
    case 'F64': data = Float32Array.from(readTyped(n, fill, (b) => new Float64Array(b))); break;
    case 'I64': data = int64ToInt32Array(readTyped(n, fill, (b) => new BigInt64Array(b)), what); break;
    case 'U64': data = int64ToInt32Array(readTyped(n, fill, (b) => new BigUint64Array(b)), what); break;
    case 'U32': {
      const u = readTyped(n, fill, (b) => new Uint32Array(b));
      for (let i = 0; i < u.length; i++) if (u[i]! > 0x7fffffff) fail(src.label, `tensor '${e.name}': element ${i} = ${u[i]} does not fit in int32`);
      data = new Int32Array(u.buffer);
      break;
    }
    case 'I16': data = Int32Array.from(readTyped(n, fill, (b) => new Int16Array(b))); break;
    case 'U16': data = Int32Array.from(readTyped(n, fill, (b) => new Uint16Array(b))); break;
    case 'I8': data = Int32Array.from(readTyped(n, fill, (b) => new Int8Array(b))); break;
    case 'U8':
    case 'BOOL': data = Int32Array.from(readTyped(n, fill, (b) => new Uint8Array(b))); break;
    default: fail(src.label, `tensor '${e.name}': dtype ${e.dtype} is not supported (supported: ${[...READABLE].join(', ')})`);
  }
  return new Tensor(data, e.shape);
}

function wrapRead<T>(label: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (e instanceof RangeError && /int32/.test(e.message)) throw new UserError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${label}: no such file`);
    if (code === 'EISDIR') throw new UserError(`${label}: is a directory, expected a .safetensors file`);
    if (code === 'EACCES') throw new UserError(`${label}: permission denied`);
    throw new UserError(`${label}: ${(e as Error).message}`);
  }
}

/** Reads every tensor (or only `names`) and the metadata from a source. Float types become float32, integer types int32. */
export function readSafetensorsFrom(src: ByteSource, opts: { names?: Iterable<string> } = {}): SafetensorsContents {
  return wrapRead(src.label, () => {
    const h = readSafetensorsHeader(src);
    let wanted: Set<string> | undefined;
    if (opts.names) {
      wanted = new Set(opts.names);
      const have = new Set(h.entries.map((e) => e.name));
      for (const w of wanted) if (!have.has(w)) fail(src.label, `tensor '${w}' is not in the file`);
    }
    const tensors = new Map<string, Tensor>();
    for (const e of h.entries) if (!wanted || wanted.has(e.name)) tensors.set(e.name, readEntry(src, e));
    return { tensors, metadata: h.metadata };
  });
}

/** Reads a .safetensors file (or bytes in memory). */
export function readSafetensors(path: string | Uint8Array, opts: { names?: Iterable<string> } = {}): SafetensorsContents {
  if (typeof path !== 'string') return readSafetensorsFrom(bytesSource(path, '<safetensors bytes>'), opts);
  const src = wrapRead(path, () => fileSource(path));
  try {
    return readSafetensorsFrom(src, opts);
  } finally {
    src.close();
  }
}

/** The tensors of a .safetensors file, in file order, as a state dict. */
export function loadSafetensors(path: string | Uint8Array): Map<string, Tensor> {
  return readSafetensors(path).tensors;
}

/** Only the header: names, dtypes, shapes (no data is read). */
export function inspectSafetensors(path: string): SafetensorsHeader {
  const src = wrapRead(path, () => fileSource(path));
  try {
    return wrapRead(path, () => readSafetensorsHeader(src));
  } finally {
    src.close();
  }
}

function buildHeader(entries: Array<[string, { shape: readonly number[]; data: Float32Array | Int32Array }]>, metadata: Record<string, string> | undefined): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new TypeError(`safetensors metadata value for '${k}' must be a string`);
    header['__metadata__'] = metadata;
  }
  let off = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new RangeError("'__metadata__' cannot be a tensor name");
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: [...t.shape], data_offsets: [off, off + bytes] };
    off += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

function writeTo(sink: ByteSink, tensors: TensorCollection, metadata: Record<string, string> | undefined): void {
  const entries = entriesOf(tensors);
  sink.write(buildHeader(entries, metadata));
  for (const [, t] of entries) sink.write(bytesOf(t.data));
}

/** Encodes tensors (float32 → F32, int32 → I32) in the given order. */
export function encodeSafetensors(tensors: TensorCollection, metadata?: Record<string, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  writeTo({ write: (b) => { parts.push(b.slice()); total += b.length; }, get bytesWritten() { return total; } }, tensors, metadata);
  return Buffer.concat(parts, total);
}

/** Writes a .safetensors file atomically. Returns the file size. */
export function saveSafetensors(path: string, tensors: TensorCollection, metadata?: Record<string, string>): number {
  return writeFileAtomic(path, (sink) => writeTo(sink, tensors, metadata));
}

/**
 * Reads a sharded checkpoint from its `model.safetensors.index.json`
 * ({"metadata": {...}, "weight_map": {"<tensor>": "<shard file>"}}). Shards must sit beside the
 * index; each listed tensor must be in its shard.
 */
export function loadShardedSafetensors(indexPath: string): SafetensorsContents {
  const L = indexPath;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(L, code === 'ENOENT' ? 'no such file' : `not a valid index (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null) fail(L, 'not a JSON object');
  const map = (json as Record<string, unknown>)['weight_map'];
  if (typeof map !== 'object' || map === null || Array.isArray(map)) fail(L, 'has no "weight_map" object');
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard !== basename(shard) || shard === '..' || shard === '.' || shard === '') fail(L, `tensor '${name}': shard ${JSON.stringify(shard)} is not a file name in the index's directory`);
    let list = byShard.get(shard);
    if (!list) byShard.set(shard, (list = []));
    list.push(name);
  }
  const metadata: Record<string, string> = {};
  const meta = (json as Record<string, unknown>)['metadata'];
  if (meta && typeof meta === 'object') for (const [k, v] of Object.entries(meta)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const order = Object.keys(map as object);
  const loaded = new Map<string, Tensor>();
  for (const [shard, names] of byShard) {
    const c = readSafetensors(join(dirname(indexPath), shard), { names });
    for (const [k, t] of c.tensors) loaded.set(k, t);
  }
  const tensors = new Map<string, Tensor>();
  for (const k of order) tensors.set(k, loaded.get(k)!);
  return { tensors, metadata };
}
