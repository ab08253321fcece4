// Building a model for eval/infer from weights: the model name and class count come from the
// flags, else from what was saved with the weights; preprocessing likewise (preprocess.ts).
import { createModel, getModelEntry } from '../models/index.js';
import type { Module } from '../nn/module.js';
import { UserError } from '../util/errors.js';
import { resolvePreprocess, type PreprocessFlags, type ResolvedPreprocess } from './preprocess.js';
import { loadExact, readWeights, type LoadedWeights } from './weights.js';

export interface InferenceModel {
  name: string;
  classDim: number;
  model: Module;
  prep: ResolvedPreprocess;
  weights: LoadedWeights;
}

export function loadInferenceModel(flags: PreprocessFlags & { model?: string | null; pretrained_model?: string | null; class_dim?: number | null }, explicit: ReadonlySet<string>): InferenceModel {
  if (!flags.pretrained_model) throw new UserError('--pretrained_model is required (the weights to evaluate)');
  const weights = readWeights(flags.pretrained_model);
  const requested = explicit.has('model') && flags.model ? flags.model : weights.meta?.model ?? flags.model ?? 'ResNet50';
  const name = getModelEntry(requested).name;
  let classDim = explicit.has('class_dim') && flags.class_dim ? flags.class_dim : weights.meta?.class_dim ?? null;
  classDim ??= classDimFromWeights(name, weights) ?? flags.class_dim ?? 1000;
  const prep = resolvePreprocess(name, flags, explicit, weights.meta);
  const model = createModel(name, { classDim, initialize: false });
  loadExact(model, weights, name);
  model.eval();
  return { name, classDim, model, prep, weights };
}

/**
 * The class count the weights were trained for: build the model at two class counts (shape
 * only), find the tensors whose shape depends on it, and read that dimension from the file.
 */
function classDimFromWeights(name: string, w: LoadedWeights): number | null {
  const a = createModel(name, { classDim: 2, initialize: false }).stateDict();
  const b = createModel(name, { classDim: 3, initialize: false }).stateDict();
  for (const [key, ta] of a) {
    const tb = b.get(key);
    const tw = w.tensors.get(key);
    if (!tb || !tw || tw.ndim !== ta.ndim) continue;
    const axis = ta.shape.findIndex((d, i) => d !== tb.shape[i]);
    if (axis >= 0) return tw.shape[axis]!;
  }
  return null;
}
