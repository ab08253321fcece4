// Model → ONNX file: trace one eval-mode forward pass, clean the graph, optionally fold BN into
// the convolutions, and write ModelProto (opset 17, input 'image' [N, C, H, W], output 'logits').
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Module } from '../../nn/module.js';
import { encodeModel, type OnnxGraph } from './graph.js';
import { foldBatchNorms, removeDeadNodes } from './optimize.js';
import type { ProtoWriter } from './proto_writer.js';
import { traceModel } from './tracer.js';

export interface OnnxExportOptions {
  imageShape: [number, number, number];
  /** fold inference BN into the preceding conv (default true) */
  foldBn?: boolean;
  producerVersion?: string;
  metadata?: Record<string, string>;
}

export interface OnnxExport {
  graph: OnnxGraph;
  proto: ProtoWriter;
  foldedBatchNorms: number;
}

/** ONNX's protobuf files cannot exceed 2 GiB. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

export function exportOnnx(model: Module, opts: OnnxExportOptions): OnnxExport {
  const { graph } = traceModel(model, { imageShape: opts.imageShape });
  removeDeadNodes(graph);
  const folded = opts.foldBn ?? true ? foldBatchNorms(graph) : 0;
  const proto = encodeModel(graph, {
    producerVersion: opts.producerVersion ?? '0.1.0',
    ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}),
  });
  if (proto.length > PROTOBUF_LIMIT) {
    throw new RangeError(`ONNX export: the model is ${(proto.length / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit`);
  }
  return { graph, proto, foldedBatchNorms: folded };
}

export function onnxBytes(e: OnnxExport): Uint8Array {
  return e.proto.finish();
}

/** Writes the chunks one by one (no second copy of the weights in memory). */
export function writeOnnxFile(path: string, e: OnnxExport): void {
  const fd = openSync(path, 'w');
  try {
    for (const c of e.proto.chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
  } finally {
    closeSync(fd);
  }
}
