// `imcls export`: a zoo model (optionally with trained weights) as ONNX (+ preprocess.json), as
// Paddle's per-variable directory (what fluid.io.load_persistables reads), or as our safetensors
// with the 'imcls' metadata.
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { exportOnnx, writeOnnxFile } from '../io/onnx/export.js';
import { savePaddleParams } from '../io/paddle.js';
import { saveSafetensors } from '../io/safetensors.js';
import { createModel, getModelEntry } from '../models/index.js';
import type { Module } from '../nn/module.js';
import { UserError } from '../util/errors.js';
import { preprocessMeta, resolvePreprocess } from './preprocess.js';
import { loadExact, META_KEY, readWeights, type WeightsMeta } from './weights.js';

export type ExportFormat = 'onnx' | 'paddle' | 'safetensors';

export interface ExportArgs {
  format: ExportFormat;
  model: string;
  pretrainedModel: string | null;
  classDim: number | null;
  output: string;
  /** ONNX: fold BN into the preceding convolutions (default true) */
  foldBn?: boolean;
  /** ONNX: traced input [C, H, W] (default: the model's input size, or the saved crop) */
  imageShape?: [number, number, number] | null;
}

export interface ExportResult {
  files: string[];
  model: string;
  classDim: number;
  tensors: number;
  onnxNodes?: number;
  foldedBatchNorms?: number;
}

/** The model with its weights (random init when no pretrained weights are given) and their metadata. */
export function modelForExport(name: string, pretrained: string | null, classDim: number | null): { model: Module; meta: WeightsMeta; classDim: number } {
  const entry = getModelEntry(name);
  const w = pretrained !== null ? readWeights(pretrained) : null;
  const k = classDim ?? w?.meta?.class_dim ?? (w ? inferClassDim(w.tensors, name) : null) ?? 1000;
  const model = createModel(entry.name, { classDim: k });
  if (w) loadExact(model, w, entry.name);
  model.eval();
  const pre = preprocessMeta(resolvePreprocess(entry.name, {}, new Set(), w?.meta ?? null));
  const meta: WeightsMeta = { model: entry.name, class_dim: k, preprocessing: pre };
  if (w?.meta?.labels) meta.labels = w.meta.labels;
  return { model, meta, classDim: k };
}

/** The class count of weights without metadata: the last dim of the tensor the 1000-class model has as [*, 1000]. */
function inferClassDim(tensors: ReadonlyMap<string, { shape: readonly number[] }>, name: string): number | null {
  const probe = createModel(name, { classDim: 1000, initialize: false });
  for (const [n, t] of probe.stateDict()) {
    if (t.shape[t.shape.length - 1] !== 1000) continue;
    const got = tensors.get(n);
    if (got !== undefined) return got.shape[got.shape.length - 1] ?? null;
  }
  return null;
}

export function runExport(a: ExportArgs): ExportResult {
  const { model, meta, classDim } = modelForExport(a.model, a.pretrainedModel, a.classDim);
  const state = model.stateDict();
  const result: ExportResult = { files: [], model: meta.model!, classDim, tensors: state.size };
  switch (a.format) {
    case 'safetensors':
      saveSafetensors(a.output, state, { [META_KEY]: JSON.stringify(meta) });
      result.files.push(a.output);
      break;
    case 'paddle':
      savePaddleParams(a.output, state);
      result.files.push(a.output);
      break;
    case 'onnx': {
      const pre = meta.preprocessing!;
      const shape = a.imageShape ?? [pre.channels ?? 3, pre.crop, pre.crop];
      const e = exportOnnx(model, {
        imageShape: shape,
        foldBn: a.foldBn ?? true,
        metadata: { [META_KEY]: JSON.stringify(meta) },
        externalDataLocation: `${basename(a.output)}.data`,
      });
      const written = writeOnnxFile(a.output, e);
      const base = basename(a.output).replace(/\.onnx$/i, '');
      const prePath = join(dirname(a.output), `${base}.preprocess.json`);
      const preprocess = {
        model: meta.model,
        input: 'image',
        output: 'logits',
        input_shape: ['N', ...shape],
        resize_short: pre.resize_short,
        crop: pre.crop,
        mean: pre.mean,
        std: pre.std,
        interpolation: pre.interpolation,
        // pixels scaled to [0, 1], then (x - mean) / std per channel, RGB, NCHW
        scale: 1 / 255,
        channel_order: 'RGB',
        labels: meta.labels ?? null,
      };
      writeFileSync(prePath, `${JSON.stringify(preprocess, null, 2)}\n`);
      result.files.push(...written, prePath);
      result.onnxNodes = e.graph.nodes.length;
      result.foldedBatchNorms = e.foldedBatchNorms;
      break;
    }
    default:
      throw new UserError(`export: unknown format '${String(a.format)}' (onnx, paddle, safetensors)`);
  }
  return result;
}
