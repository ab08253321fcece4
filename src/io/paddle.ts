// Paddle Fluid 1.x parameter files (PADDLE_REFERENCE.md §7). One LoDTensor record is
//   u32 lod_tensor_version (0) | u64 lod_level | lod_level × (u64 nbytes, nbytes of offsets)
//   | u32 tensor_version (0) | i32 desc_nbytes | VarType.TensorDesc protobuf | raw data,
// all little-endian. A pretrained model is a directory (or .tar) with one such file per
// variable, named after it; an inference model's `params` file is the records of all
// persistable variables concatenated in sorted-name order with no names or count.
// Every length is checked against the bytes that remain before anything is allocated.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { Tensor, type Shape } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { COMPLETE_MARKER, isTempName, writeDirAtomic, writeFileAtomic, writeFileDurable } from './atomic.js';
import { bytesSource, fileSource, readBytes, ShortReadError, type ByteSource } from './byte_source.js';
import { encodeTag, encodeVarint, ProtobufError, readFields, readPackedVarints, WIRE_LEN, WIRE_VARINT } from './protobuf.js';
import { entriesOf, halfToFloat32Array, int64ToInt32Array, readTyped, type TensorCollection, type TensorData } from './tensor_data.js';
import { tarFiles } from './tar.js';

/** VarType.Type values that are tensors, with their element sizes. */
export const PADDLE_DTYPES = {
  BOOL: { id: 0, bytes: 1 },
  INT16: { id: 1, bytes: 2 },
  INT32: { id: 2, bytes: 4 },
  INT64: { id: 3, bytes: 8 },
  FP16: { id: 4, bytes: 2 },
  FP32: { id: 5, bytes: 4 },
  FP64: { id: 6, bytes: 8 },
  SIZE_T: { id: 19, bytes: 8 },
  UINT8: { id: 20, bytes: 1 },
  INT8: { id: 21, bytes: 1 },
} as const;
export type PaddleDTypeName = keyof typeof PADDLE_DTYPES;
const DTYPE_BY_ID = new Map<number, PaddleDTypeName>(Object.entries(PADDLE_DTYPES).map(([k, v]) => [v.id, k as PaddleDTypeName]));

const MAX_DESC_BYTES = 1 << 16; // two fields; real descs are ~10-30 bytes
const MAX_RANK = 32;
const MAX_LOD_LEVELS = 64;

export interface TensorDesc {
  dataType: number;
  dims: number[];
}

/** VarType.TensorDesc as Paddle writes it: field 1 varint, then one unpacked field-2 varint per dim. */
export function encodeTensorDesc(desc: TensorDesc): Uint8Array {
  const out: number[] = [];
  encodeTag(1, WIRE_VARINT, out);
  encodeVarint(desc.dataType, out);
  for (const d of desc.dims) {
    encodeTag(2, WIRE_VARINT, out);
    encodeVarint(d, out);
  }
  return Uint8Array.from(out);
}

/** Accepts packed and unpacked dims; throws ProtobufError. */
export function decodeTensorDesc(bytes: Uint8Array): TensorDesc {
  let dataType: number | undefined;
  const dims: number[] = [];
  const dim = (v: bigint): void => {
    const s = BigInt.asIntN(64, v);
    if (s < 0n) throw new ProtobufError(`negative dimension ${s} (a variable with unknown shape, not a saved tensor)`);
    if (s > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtobufError(`dimension ${s} is too large`);
    if (dims.length >= MAX_RANK) throw new ProtobufError(`more than ${MAX_RANK} dimensions`);
    dims.push(Number(s));
  };
  for (const f of readFields(bytes)) {
    if (f.number === 1) {
      if (f.wireType !== WIRE_VARINT) throw new ProtobufError('data_type has the wrong wire type');
      if (f.varint! > 1000n) throw new ProtobufError(`data_type ${f.varint} is not a VarType.Type`);
      dataType = Number(f.varint);
    } else if (f.number === 2) {
      if (f.wireType === WIRE_VARINT) dim(f.varint!);
      else if (f.wireType === WIRE_LEN) for (const v of readPackedVarints(f.bytes!)) dim(v);
      else throw new ProtobufError('dims has the wrong wire type');
    }
    // Unknown fields are skipped, as protobuf requires.
  }
  if (dataType === undefined) throw new ProtobufError('required field data_type is missing');
  return { dataType, dims };
}

export interface PaddleRecordHeader {
  dataType: PaddleDTypeName;
  dims: number[];
  /** Where the raw data starts and ends (absolute positions in the source). */
  dataStart: number;
  dataEnd: number;
  lodLevels: number;
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * Parses the header of the record at `pos` and checks that its data fits in the source.
 * `what` names the file and tensor for error messages.
 */
export function readPaddleRecordHeader(src: ByteSource, pos: number, what: string): PaddleRecordHeader {
  const remaining = (): number => src.size - pos;
  const need = (n: number, field: string): void => {
    if (n > remaining()) throw new UserError(`${what}: truncated at byte ${pos} (reading ${field}: need ${n} bytes, ${remaining()} left)`);
  };
  const u32 = (field: string): number => {
    need(4, field);
    const v = new DataView(readBytes(src, pos, 4).buffer).getUint32(0, true);
    pos += 4;
    return v;
  };
  const u64 = (field: string): bigint => {
    need(8, field);
    const v = new DataView(readBytes(src, pos, 8).buffer).getBigUint64(0, true);
    pos += 8;
    return v;
  };
  if (src.size - pos === 0) throw new UserError(`${what}: empty (no tensor record)`);
  const version = u32('lod_tensor_version');
  if (version !== 0) throw new UserError(`${what}: not a Paddle Fluid tensor file (lod_tensor_version is ${version}, expected 0)`);
  const lodLevel = u64('lod_level');
  if (lodLevel > BigInt(MAX_LOD_LEVELS)) throw new UserError(`${what}: corrupt header (lod_level ${lodLevel})`);
  for (let i = 0; i < Number(lodLevel); i++) {
    const n = u64(`LoD level ${i} size`);
    if (n % 8n !== 0n || n > BigInt(remaining())) throw new UserError(`${what}: corrupt header (LoD level ${i} declares ${n} bytes, ${remaining()} left)`);
    pos += Number(n);
  }
  const tensorVersion = u32('tensor_version');
  if (tensorVersion !== 0) throw new UserError(`${what}: unsupported tensor_version ${tensorVersion} (expected 0)`);
  need(4, 'desc size');
  const descLen = new DataView(readBytes(src, pos, 4).buffer).getInt32(0, true);
  pos += 4;
  if (descLen <= 0 || descLen > MAX_DESC_BYTES) throw new UserError(`${what}: corrupt header (TensorDesc size ${descLen})`);
  need(descLen, 'TensorDesc');
  let desc: TensorDesc;
  try {
    desc = decodeTensorDesc(readBytes(src, pos, descLen));
  } catch (e) {
    if (e instanceof ProtobufError) throw new UserError(`${what}: corrupt TensorDesc (${e.message})`);
    throw e;
  }
  pos += descLen;
  const dtype = DTYPE_BY_ID.get(desc.dataType);
  if (!dtype) throw new UserError(`${what}: data_type ${desc.dataType} is not a tensor element type`);
  // numel in floating point: a corrupt dim can make it astronomically large, which simply fails the check.
  let numel = 1;
  for (const d of desc.dims) numel *= d;
  const dataBytes = numel * PADDLE_DTYPES[dtype].bytes;
  if (dataBytes > remaining()) {
    throw new UserError(`${what}: dims ${shapeStr(desc.dims)} of ${dtype} declare ${dataBytes} bytes of data but only ${remaining()} remain (truncated or corrupt file)`);
  }
  return { dataType: dtype, dims: desc.dims, dataStart: pos, dataEnd: pos + dataBytes, lodLevels: Number(lodLevel) };
}

function readRecordData(src: ByteSource, h: PaddleRecordHeader, what: string): Float32Array | Int32Array {
  const n = h.dataEnd - h.dataStart;
  const fill = (u8: Uint8Array): void => src.readInto(h.dataStart, u8);
  switch (h.dataType) {
    case 'FP32': return readTyped(n, fill, (b) => new Float32Array(b));
    case 'INT32': return readTyped(n, fill, (b) => new Int32Array(b));
    case 'FP64': return Float32Array.from(readTyped(n, fill, (b) => new Float64Array(b)));
    case 'FP16': return halfToFloat32Array(readTyped(n, fill, (b) => new Uint16Array(b)));
    case 'INT64':
      try {
        return int64ToInt32Array(readTyped(n, fill, (b) => new BigInt64Array(b)), () => what);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
    case 'SIZE_T':
      try {
        return int64ToInt32Array(readTyped(n, fill, (b) => new BigUint64Array(b)), () => what);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
    case 'INT16': return Int32Array.from(readTyped(n, fill, (b) => new Int16Array(b)));
    case 'INT8': return Int32Array.from(readTyped(n, fill, (b) => new Int8Array(b)));
    case 'UINT8':
    case 'BOOL': return Int32Array.from(readTyped(n, fill, (b) => new Uint8Array(b)));
  }
}

export interface PaddleRecord {
  tensor: Tensor;
  dataType: PaddleDTypeName;
  /** Position just after the record. */
  end: number;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Reads one record at `pos`. With `expectedShape`, dims that disagree are refused before the
 * data is read. FP32/INT32 load as is; FP64/FP16 convert to float32, other integers to int32.
 */
export function readPaddleRecord(src: ByteSource, pos: number, name: string, expectedShape?: Shape, label = src.label): PaddleRecord {
  const what = `${label}: tensor '${name}'`;
  try {
    const h = readPaddleRecordHeader(src, pos, what);
    if (expectedShape && !sameShape(h.dims, expectedShape)) {
      throw new UserError(`${what} has dims ${shapeStr(h.dims)} but the model expects ${shapeStr(expectedShape)}`);
    }
    const data = readRecordData(src, h, what);
    return { tensor: new Tensor(data, h.dims), dataType: h.dataType, end: h.dataEnd };
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (e instanceof ShortReadError) throw new UserError(`${what}: ${e.message}`);
    throw e;
  }
}

/** Reads a per-variable file: exactly one record and nothing after it. */
export function readPaddleTensorFile(src: ByteSource, name: string, expectedShape?: Shape): PaddleRecord {
  const r = readPaddleRecord(src, 0, name, expectedShape);
  if (r.end !== src.size) throw new UserError(`${src.label}: tensor '${name}': ${src.size - r.end} unexpected bytes after the tensor data (the file should be exactly ${r.end} bytes)`);
  return r;
}

/** Decodes one per-variable file held in memory. */
export function decodePaddleTensor(bytes: Uint8Array, name = '<tensor>', expectedShape?: Shape): Tensor {
  return readPaddleTensorFile(bytesSource(bytes, name), name, expectedShape).tensor;
}

export type PaddleWriteType = 'FP32' | 'INT32' | 'INT64' | 'FP64';

/** Encodes one record as Paddle writes it: float32 data as FP32 and int32 as INT32 unless `dataType` says otherwise. */
export function encodePaddleTensor(t: TensorData | Tensor, dataType?: PaddleWriteType): Uint8Array {
  const [[, d]] = entriesOf([{ name: 'tensor', shape: t.shape, data: t instanceof Tensor ? (t.dtype === 'int32' ? t.indices : t.values) : t.data }]) as [[string, TensorData]];
  const isInt = d.data instanceof Int32Array;
  const type: PaddleWriteType = dataType ?? (isInt ? 'INT32' : 'FP32');
  let payload: Uint8Array;
  switch (type) {
    case 'FP32': payload = new Uint8Array(Float32Array.from(d.data).buffer); break;
    case 'INT32': payload = new Uint8Array(Int32Array.from(d.data).buffer); break;
    case 'FP64': payload = new Uint8Array(Float64Array.from(d.data).buffer); break;
    case 'INT64': {
      const a = new BigInt64Array(d.data.length);
      for (let i = 0; i < a.length; i++) {
        const v = d.data[i]!;
        if (!Number.isInteger(v)) throw new RangeError(`cannot write ${v} as INT64`);
        a[i] = BigInt(v);
      }
      payload = new Uint8Array(a.buffer);
      break;
    }
  }
  const desc = encodeTensorDesc({ dataType: PADDLE_DTYPES[type].id, dims: [...d.shape] });
  const out = new Uint8Array(4 + 8 + 4 + 4 + desc.length + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0, true); // lod_tensor_version
  dv.setBigUint64(4, 0n, true); // lod_level
  dv.setUint32(12, 0, true); // tensor_version
  dv.setInt32(16, desc.length, true);
  out.set(desc, 20);
  out.set(payload, 20 + desc.length);
  return out;
}

/** Python's sorted() on str: code-point order (JS's default sort compares UTF-16 units). */
export function codePointCompare(a: string, b: string): number {
  const A = [...a];
  const B = [...b];
  for (let i = 0; i < Math.min(A.length, B.length); i++) {
    const x = A[i]!.codePointAt(0)!;
    const y = B[i]!.codePointAt(0)!;
    if (x !== y) return x - y;
  }
  return A.length - B.length;
}

export function sortedParamNames(names: Iterable<string>): string[] {
  return [...names].sort(codePointCompare);
}

type ShapeTable = ReadonlyMap<string, Shape> | Readonly<Record<string, Shape>>;

function shapeOf(shapes: ShapeTable | undefined, name: string): Shape | undefined {
  if (!shapes) return undefined;
  if (shapes instanceof Map) return (shapes as ReadonlyMap<string, Shape>).get(name);
  return Object.prototype.hasOwnProperty.call(shapes, name) ? (shapes as Record<string, Shape>)[name] : undefined;
}

export interface PaddleLoadOptions {
  /** The variables to read. Required for a combined params file; for a directory or tar the default is every file. */
  names?: Iterable<string>;
  /** Expected shapes: a record whose dims differ is refused (or skipped, see onMismatch). Names default to its keys. */
  shapes?: ShapeTable;
  /** 'auto' (default): a directory, a tar archive, or else a combined params file. */
  format?: 'auto' | 'dir' | 'tar' | 'combined';
  /** Names without a file are reported in `missing` instead of being an error (as [S]'s load_vars predicate). */
  allowMissing?: boolean;
  /** 'error' (default) or 'skip': report shape mismatches instead of failing (fine-tuning with a new class_dim). */
  onMismatch?: 'error' | 'skip';
}

export interface PaddleLoadResult {
  tensors: Map<string, Tensor>;
  missing: string[];
  mismatched: Array<{ name: string; expected: number[]; got: number[] }>;
  /** The dtype each tensor had on disk. */
  dataTypes: Map<string, PaddleDTypeName>;
}

/** Files in a parameter directory that are not variables. */
function isNotAVariable(rel: string): boolean {
  const base = rel.split('/').pop()!;
  return base.startsWith('.') || rel === '__model__' || rel === 'model' || rel === COMPLETE_MARKER || rel === '__params__' || isTempName(base);
}

function listDirFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) {
        if (!ent.name.startsWith('.')) walk(p);
      } else if (ent.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.filter((r) => !isNotAVariable(r)).sort(codePointCompare);
}

/** In a tar, the variables sit under one top directory (e.g. `ResNet50_pretrained/`): strip it. */
function tarVariables(src: ByteSource): Map<string, ByteSource> {
  const files = tarFiles(src);
  const names = [...files.keys()].filter((n) => !n.split('/').some((p) => p.startsWith('._')));
  const tops = new Set(names.map((n) => (n.includes('/') ? n.slice(0, n.indexOf('/')) : '')));
  const strip = tops.size === 1 && !tops.has('') ? [...tops][0]!.length + 1 : 0;
  const out = new Map<string, ByteSource>();
  for (const n of names) {
    const rel = n.slice(strip);
    if (!isNotAVariable(rel)) out.set(rel, files.get(n)!);
  }
  return out;
}

function detectFormat(path: string): 'dir' | 'tar' | 'combined' {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UserError(`${path}: no such file or directory`);
  }
  if (st.isDirectory()) return 'dir';
  if (/\.tar$/i.test(path)) return 'tar';
  // ustar magic at 257 identifies a tar whatever its name.
  const src = fileSource(path);
  try {
    if (src.size >= 2) {
      const head = readBytes(src, 0, 2);
      if (head[0] === 0x1f && head[1] === 0x8b) throw new UserError(`${path}: gzip-compressed; unpack it first (tar -xzf, or gunzip to a .tar, which is read directly)`);
    }
    if (src.size >= 512) {
      const magic = Buffer.from(readBytes(src, 257, 5)).toString('latin1');
      if (magic === 'ustar') return 'tar';
    }
  } finally {
    src.close();
  }
  return 'combined';
}

/**
 * Reads Paddle parameters from a per-variable directory (an unpacked `<Model>_pretrained.tar`),
 * the .tar itself, or a combined `params` file (which needs `names`; they are read in sorted order).
 */
export function readPaddleParams(path: string, opts: PaddleLoadOptions = {}): PaddleLoadResult {
  const format = !opts.format || opts.format === 'auto' ? detectFormat(path) : opts.format;
  let names = opts.names ? [...opts.names] : opts.shapes ? [...(opts.shapes instanceof Map ? opts.shapes.keys() : Object.keys(opts.shapes))] : undefined;
  const result: PaddleLoadResult = { tensors: new Map(), missing: [], mismatched: [], dataTypes: new Map() };
  const take = (name: string, src: ByteSource, label: string): void => {
    const expected = shapeOf(opts.shapes, name);
    const skip = opts.onMismatch === 'skip';
    const r = readPaddleRecordChecked(src, name, skip ? undefined : expected, label);
    if (skip && expected && !sameShape(r.tensor.shape, expected)) {
      result.mismatched.push({ name, expected: [...expected], got: [...r.tensor.shape] });
      return;
    }
    result.tensors.set(name, r.tensor);
    result.dataTypes.set(name, r.dataType);
  };
  const missingError = (where: string): void => {
    if (result.missing.length > 0 && !opts.allowMissing) {
      const m = result.missing;
      throw new UserError(`${where}: ${m.length} variable file(s) missing: ${m.slice(0, 8).join(', ')}${m.length > 8 ? ', ...' : ''}`);
    }
  };

  if (format === 'dir') {
    if (!existsSync(path) || !statSync(path).isDirectory()) throw new UserError(`${path}: not a directory`);
    names ??= listDirFiles(path);
    for (const name of names) {
      checkVarName(name, path);
      const file = join(path, ...name.split('/'));
      if (!existsSync(file)) {
        result.missing.push(name);
        continue;
      }
      const src = openOrFail(file);
      try {
        take(name, src, file);
      } finally {
        src.close();
      }
    }
    missingError(path);
    return result;
  }

  const src = openOrFail(path);
  try {
    if (format === 'tar') {
      const vars = tarVariables(src);
      names ??= [...vars.keys()].sort(codePointCompare);
      for (const name of names) {
        const member = vars.get(name);
        if (!member) result.missing.push(name);
        else take(name, member, member.label);
      }
      missingError(path);
      return result;
    }
    // combined
    if (!names) throw new UserError(`${path}: a combined params file has no variable names; give the model (or the list of names) to split it`);
    let pos = 0;
    for (const name of sortedParamNames(names)) {
      const expected = shapeOf(opts.shapes, name);
      const skip = opts.onMismatch === 'skip';
      const r = readPaddleRecord(src, pos, name, skip ? undefined : expected, `${path} (combined, at byte ${pos})`);
      pos = r.end;
      if (skip && expected && !sameShape(r.tensor.shape, expected)) {
        result.mismatched.push({ name, expected: [...expected], got: [...r.tensor.shape] });
        continue;
      }
      result.tensors.set(name, r.tensor);
      result.dataTypes.set(name, r.dataType);
    }
    if (pos !== src.size) throw new UserError(`${path}: ${src.size - pos} bytes left after the ${names.length} expected variables: the combined file holds more variables than given (or different ones)`);
    return result;
  } finally {
    src.close();
  }
}

function readPaddleRecordChecked(src: ByteSource, name: string, expected: Shape | undefined, label: string): PaddleRecord {
  const r = readPaddleRecord(src, 0, name, expected, label);
  if (r.end !== src.size) throw new UserError(`${label}: tensor '${name}': ${src.size - r.end} unexpected bytes after the tensor data (the file should be exactly ${r.end} bytes)`);
  return r;
}

function openOrFail(path: string): ByteSource {
  try {
    return fileSource(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

function checkVarName(name: string, where: string): void {
  if (name === '' || name.split('/').some((p) => p === '' || p === '.' || p === '..') || name.includes('\0') || name.includes('\\')) {
    throw new UserError(`${where}: '${name}' is not a usable variable file name`);
  }
}

/** readPaddleParams, but any missing file or shape mismatch is an error; returns the tensors. */
export function loadPaddleParams(path: string, opts: PaddleLoadOptions = {}): Map<string, Tensor> {
  return readPaddleParams(path, opts).tensors;
}

export interface PaddleSaveOptions {
  /** On-disk type per variable (default FP32 for float32 data, INT32 for int32), e.g. { '@LR_DECAY_COUNTER@': 'INT64' }. */
  dataTypes?: Readonly<Record<string, PaddleWriteType>>;
}

/** Writes one file per variable into `dir` (created or replaced atomically), as save_persistables does. */
export function savePaddleParams(dir: string, tensors: TensorCollection, opts: PaddleSaveOptions = {}): void {
  const entries = entriesOf(tensors);
  for (const [name] of entries) checkVarName(name, dir);
  writeDirAtomic(dir, (tmp) => {
    for (const [name, t] of entries) {
      const file = join(tmp, ...name.split('/'));
      if (name.includes('/')) mkdirSync(dirname(file), { recursive: true });
      writeFileDurable(file, encodePaddleTensor(t, opts.dataTypes?.[name]));
    }
  });
}

/** The combined `params` bytes: records in sorted-name order, as save_combine writes them. */
export function encodeCombinedParams(tensors: TensorCollection, opts: PaddleSaveOptions = {}): Uint8Array {
  const byName = new Map(entriesOf(tensors));
  const parts = sortedParamNames(byName.keys()).map((n) => encodePaddleTensor(byName.get(n)!, opts.dataTypes?.[n]));
  return Buffer.concat(parts);
}

export function saveCombinedParams(path: string, tensors: TensorCollection, opts: PaddleSaveOptions = {}): number {
  return writeFileAtomic(path, encodeCombinedParams(tensors, opts));
}

/** Splits combined params bytes (in memory) by the given names, in sorted order. */
export function splitCombinedParams(bytes: Uint8Array, names: Iterable<string>, shapes?: ShapeTable, label = '<params>'): Map<string, Tensor> {
  const src = bytesSource(bytes, label);
  const out = new Map<string, Tensor>();
  let pos = 0;
  const sorted = sortedParamNames(names);
  for (const name of sorted) {
    const r = readPaddleRecord(src, pos, name, shapeOf(shapes, name), `${label} (combined, at byte ${pos})`);
    out.set(name, r.tensor);
    pos = r.end;
  }
  if (pos !== bytes.length) throw new UserError(`${label}: ${bytes.length - pos} bytes left after the ${sorted.length} expected variables`);
  return out;
}

/** Lists the variables of a tar archive (name → byte size) without reading them. */
export function listPaddleTar(path: string): Array<{ name: string; size: number }> {
  const src = openOrFail(path);
  try {
    const vars = tarVariables(src);
    return [...vars].map(([name, s]) => ({ name, size: s.size }));
  } finally {
    src.close();
  }
}
