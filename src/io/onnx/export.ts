// Model → ONNX file: trace one eval-mode forward pass, clean the graph, optionally fold BN into
// the convolutions, and write ModelProto (opset 17, input 'image' [N, C, H, W], output 'logits').
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Module } from '../../nn/module.js';
import { dirname, join } from 'node:path';
import { encodeModel, type ExternalData, type OnnxGraph } from './graph.js';
import { foldBatchNorms, removeDeadNodes } from './optimize.js';
import type { ProtoWriter } from './proto_writer.js';
import { traceModel } from './tracer.js';

export interface OnnxExportOptions {
  imageShape: [number, number, number];
  /** fold inference BN into the preceding conv (default true) */
  foldBn?: boolean;
  producerVersion?: string;
  metadata?: Record<string, string>;
  /**
   * Store the weights in a side file of this name (beside the .onnx) instead of inside it:
   * 'auto' (default) does so only when the model would pass protobuf's 2 GiB limit.
   */
  externalData?: 'auto' | 'always' | 'never';
  /** side file name (default 'model.onnx.data'; the CLI uses <output>.data) */
  externalDataLocation?: string;
}

export interface OnnxExport {
  graph: OnnxGraph;
  proto: ProtoWriter;
  /** the weights' side file, when stored externally */
  external: ExternalData | null;
  foldedBatchNorms: number;
}

/** ONNX's protobuf files cannot exceed 2 GiB. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

export function exportOnnx(model: Module, opts: OnnxExportOptions): OnnxExport {
  const { graph } = traceModel(model, { imageShape: opts.imageShape });
  removeDeadNodes(graph);
  const folded = opts.foldBn ?? true ? foldBatchNorms(graph) : 0;
  const meta = {
    producerVersion: opts.producerVersion ?? '0.1.0',
    ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}),
  };
  let weightBytes = 0;
  for (const t of graph.initializers.values()) weightBytes += t.data.byteLength;
  const mode = opts.externalData ?? 'auto';
  // headroom for the graph itself under the limit
  const external: ExternalData | null =
    mode === 'always' || (mode === 'auto' && weightBytes > PROTOBUF_LIMIT - 64 * 2 ** 20) ? { location: opts.externalDataLocation ?? 'model.onnx.data', chunks: [], length: 0 } : null;
  const proto = encodeModel(graph, meta, external);
  if (proto.length > PROTOBUF_LIMIT) {
    throw new RangeError(`ONNX export: the model is ${(proto.length / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit (use external data)`);
  }
  return { graph, proto, external, foldedBatchNorms: folded };
}

/** The model as one buffer (in-memory sessions); only for models without external data. */
export function onnxBytes(e: OnnxExport): Uint8Array {
  if (e.external !== null) throw new Error('onnxBytes: the weights are external; write the files with writeOnnxFile');
  return e.proto.finish();
}

function writeChunks(path: string, chunks: readonly Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes the model (and its external weights file beside it); chunk by chunk, no second copy in memory. */
export function writeOnnxFile(path: string, e: OnnxExport): string[] {
  const files = [path];
  if (e.external !== null) {
    const side = join(dirname(path), e.external.location);
    writeChunks(side, e.external.chunks);
    files.push(side);
  }
  writeChunks(path, e.proto.chunks);
  return files;
}
