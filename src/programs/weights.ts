// Loading weights into a model from whatever a user points at: our safetensors file, a
// checkpoint or inference-bundle directory, or Paddle's per-variable directory / .tar. Two modes:
// 'pretrained' (fine-tuning: load what matches by name and shape, report the rest) and 'exact'
// (eval/infer/resume: every model tensor must be present with its shape).
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, readSafetensors } from '../io/safetensors.js';
import { loadPaddleParams } from '../io/paddle.js';
import { MODEL_FILE, STATE_FILE } from '../io/checkpoint.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';

/** The preprocessing and identity stored with weights (safetensors metadata key 'imcls'). */
export interface WeightsMeta {
  model?: string;
  class_dim?: number;
  preprocessing?: { resize_short: number; crop: number; mean: number[]; std: number[]; interpolation: string; channels?: number };
  labels?: string[];
}

export const META_KEY = 'imcls';

export interface LoadedWeights {
  tensors: Map<string, Tensor>;
  meta: WeightsMeta | null;
  /** The file the tensors came from (for messages). */
  source: string;
}

function parseMeta(raw: string | undefined, where: string): WeightsMeta | null {
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw) as WeightsMeta;
  } catch {
    throw new UserError(`${where}: the '${META_KEY}' metadata is not valid JSON`);
  }
}

/** Reads weights from a file or directory, recognising the format. */
export function readWeights(path: string): LoadedWeights {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UserError(`${path}: no such file or directory`);
  }
  if (st.isDirectory()) {
    const model = join(path, MODEL_FILE);
    if (existsSync(model)) {
      const w = readWeights(model);
      if (w.meta === null && existsSync(join(path, STATE_FILE))) {
        // A training checkpoint: its state.json carries the preprocessing.
        try {
          const state = JSON.parse(readFileSync(join(path, STATE_FILE), 'utf8')) as { model?: string; preprocessing?: WeightsMeta['preprocessing']; args?: { class_dim?: number }; labels?: string[] };
          const meta: WeightsMeta = {};
          if (state.model !== undefined) meta.model = state.model;
          if (state.preprocessing !== undefined) meta.preprocessing = state.preprocessing;
          if (state.args?.class_dim !== undefined) meta.class_dim = state.args.class_dim;
          if (Array.isArray(state.labels)) meta.labels = state.labels;
          w.meta = meta;
        } catch {
          /* state.json problems are reported by the checkpoint loader when resuming */
        }
      }
      return w;
    }
    return { tensors: loadPaddleParams(path), meta: null, source: path };
  }
  if (path.endsWith('.tar') || (!path.endsWith('.safetensors') && isTar(path))) {
    return { tensors: loadPaddleParams(path), meta: null, source: path };
  }
  const contents = readSafetensors(path);
  return { tensors: loadSafetensors(path), meta: parseMeta(contents.metadata?.[META_KEY], path), source: path };
}

/** A tar archive has 'ustar' at offset 257 of its first header block. */
function isTar(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(5);
    return readSync(fd, b, 0, 5, 257) === 5 && b.toString('latin1') === 'ustar';
  } finally {
    closeSync(fd);
  }
}

export interface PretrainedReport {
  loaded: number;
  skippedShape: { name: string; expected: readonly number[]; got: readonly number[] }[];
  excluded: string[];
  unexpected: string[];
  missing: string[];
}

/** Fine-tuning load: every tensor whose name and shape match; the rest is reported, not fatal. */
export function loadPretrained(model: Module, w: LoadedWeights, exclude: readonly string[]): PretrainedReport {
  const own = model.stateDict();
  const report: PretrainedReport = { loaded: 0, skippedShape: [], excluded: [], unexpected: [], missing: [] };
  const take = new Map<string, Tensor>();
  for (const [name, t] of w.tensors) {
    const mine = own.get(name);
    if (!mine) {
      report.unexpected.push(name);
      continue;
    }
    if (exclude.some((s) => s !== '' && name.includes(s))) {
      report.excluded.push(name);
      continue;
    }
    if (mine.shape.length !== t.shape.length || mine.shape.some((d, i) => d !== t.shape[i])) {
      report.skippedShape.push({ name, expected: mine.shape, got: t.shape });
      continue;
    }
    take.set(name, t);
  }
  for (const name of own.keys()) if (!take.has(name)) report.missing.push(name);
  model.loadStateDict(take, { strict: false });
  report.loaded = take.size;
  if (report.loaded === 0) throw new UserError(`${w.source}: no tensor matches the model by name and shape (is it weights for another model?)`);
  return report;
}

/** Exact load: every model tensor must be there with its shape. */
export function loadExact(model: Module, w: LoadedWeights, modelName: string): void {
  const r = model.loadStateDict(w.tensors, { strict: false });
  const problems: string[] = [];
  if (r.missing.length > 0) problems.push(`${r.missing.length} tensors missing (e.g. ${r.missing.slice(0, 3).join(', ')})`);
  if (r.mismatched.length > 0) {
    const m = r.mismatched[0]!;
    problems.push(`${r.mismatched.length} with another shape (e.g. ${m.name}: model [${m.expected.join(', ')}], file [${m.got.join(', ')}])`);
  }
  if (problems.length > 0) {
    const other = w.meta?.model && w.meta.model !== modelName ? ` — they were saved for ${w.meta.model}` : '';
    throw new UserError(`${w.source}: weights do not fit ${modelName}: ${problems.join('; ')}${other}`);
  }
}
