// The exporter's in-memory ONNX graph (the subset this engine writes) and its serialisation to
// ModelProto. Field numbers follow onnx/onnx.proto (IR version 8, default domain opset 17).
import { ProtoWriter } from './proto_writer.js';

export type OnnxAttr = { kind: 'int'; value: number } | { kind: 'ints'; value: readonly number[] } | { kind: 'float'; value: number } | { kind: 'string'; value: string };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
  name: string;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  /** float32 data, or int64 data (shapes, axes, pads) */
  data: Float32Array | BigInt64Array;
}

/** A dimension: a fixed size or a symbolic name (the dynamic batch 'N'). */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  dims: OnnxDim[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxInitializer>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export const OPSET = 17;
export const IR_VERSION = 8;
const FLOAT = 1;
const INT64 = 7;

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

export const intAttr = (value: number): OnnxAttr => ({ kind: 'int', value });
export const intsAttr = (value: readonly number[]): OnnxAttr => ({ kind: 'ints', value });
export const floatAttr = (value: number): OnnxAttr => ({ kind: 'float', value });

function encodeAttr(name: string, a: OnnxAttr): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value).varint(20, ATTR_FLOAT);
      break;
    case 'int':
      w.varint(3, a.value).varint(20, ATTR_INT);
      break;
    case 'string':
      w.string(4, a.value).varint(20, ATTR_STRING);
      break;
    case 'ints':
      w.packedInt64(8, a.value).varint(20, ATTR_INTS);
      break;
  }
  return w;
}

function encodeNode(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, a] of Object.entries(n.attrs)) w.message(5, encodeAttr(k, a));
  return w;
}

/** Where initializer bytes go when they do not fit the 2 GiB protobuf: a side file named `location`. */
export interface ExternalData {
  location: string;
  /** the side file's chunks, filled while encoding (page-aligned tensors) */
  chunks: Uint8Array[];
  length: number;
}

const EXTERNAL_ALIGN = 4096;

function encodeTensor(t: OnnxInitializer, external: ExternalData | null): ProtoWriter {
  const w = new ProtoWriter();
  if (t.dims.length > 0) w.packedInt64(1, t.dims);
  w.varint(2, t.data instanceof Float32Array ? FLOAT : INT64);
  w.string(8, t.name);
  // raw_data is little-endian; so is every platform Node runs on that this engine supports.
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (external === null || bytes.length < 256) {
    // small tensors (shapes, scalars) stay inline
    w.bytes(9, bytes);
    return w;
  }
  const pad = (EXTERNAL_ALIGN - (external.length % EXTERNAL_ALIGN)) % EXTERNAL_ALIGN;
  if (pad > 0) {
    external.chunks.push(new Uint8Array(pad));
    external.length += pad;
  }
  const entry = (k: string, v: string): ProtoWriter => new ProtoWriter().string(1, k).string(2, v);
  w.message(13, entry('location', external.location));
  w.message(13, entry('offset', String(external.length)));
  w.message(13, entry('length', String(bytes.length)));
  w.varint(14, 1); // data_location = EXTERNAL
  external.chunks.push(bytes);
  external.length += bytes.length;
  return w;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.varint(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

export function encodeGraph(g: OnnxGraph, external: ExternalData | null = null): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers.values()) w.message(5, encodeTensor(t, external));
  for (const v of g.inputs) w.message(11, encodeValueInfo(v));
  for (const v of g.outputs) w.message(12, encodeValueInfo(v));
  return w;
}

export interface ModelMeta {
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export function encodeModel(g: OnnxGraph, meta: ModelMeta, external: ExternalData | null = null): ProtoWriter {
  const w = new ProtoWriter().varint(1, IR_VERSION).string(2, 'imcls').string(3, meta.producerVersion);
  if (meta.docString !== undefined) w.string(6, meta.docString);
  w.message(7, encodeGraph(g, external));
  w.message(8, new ProtoWriter().string(1, '').varint(2, OPSET));
  for (const [k, v] of Object.entries(meta.metadata ?? {})) w.message(14, new ProtoWriter().string(1, k).string(2, v));
  return w;
}
