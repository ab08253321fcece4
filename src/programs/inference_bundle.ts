// `infer --save_inference`: a directory a deployment can take as is — the weights with their
// preprocessing (model.safetensors), preprocess.json, labels, and model.onnx when the ONNX
// exporter is available.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { saveSafetensors } from '../io/safetensors.js';
import type { FlagValues } from '../cli/flags.js';
import { loadInferenceModel } from './inference_model.js';
import type { PreprocessFlags } from './preprocess.js';
import { preprocessMeta } from './preprocess.js';
import { META_KEY, type WeightsMeta } from './weights.js';

export async function saveInferenceBundle(v: FlagValues, explicit: ReadonlySet<string>): Promise<string> {
  const im = loadInferenceModel(v as unknown as PreprocessFlags & { model: string | null; pretrained_model: string | null; class_dim: number }, explicit);
  const dir = resolve(typeof v['output'] === 'string' ? v['output'] : im.name);
  mkdirSync(dir, { recursive: true });
  const meta: WeightsMeta = { model: im.name, class_dim: im.classDim, preprocessing: preprocessMeta(im.prep) };
  if (im.weights.meta?.labels) meta.labels = im.weights.meta.labels;
  saveSafetensors(join(dir, 'model.safetensors'), im.model.stateDict(), { [META_KEY]: JSON.stringify(meta) });
  writeFileAtomic(join(dir, 'preprocess.json'), JSON.stringify({ model: im.name, class_dim: im.classDim, ...meta.preprocessing }, null, 2) + '\n');
  const onnx = await tryOnnxExport();
  if (onnx) await onnx(im.model, im.prep.inputShape, join(dir, 'model.onnx'));
  return dir;
}

type OnnxWriter = (model: import('../nn/module.js').Module, inputShape: readonly number[], path: string) => Promise<void> | void;

/** The ONNX exporter (src/io/onnx), when this build has it. */
async function tryOnnxExport(): Promise<OnnxWriter | null> {
  try {
    const mod = (await import('../io/onnx/index.js' as string)) as { writeOnnxModel?: OnnxWriter };
    return mod.writeOnnxModel ?? null;
  } catch {
    return null;
  }
}
