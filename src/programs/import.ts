// `imcls import`: published weights of another framework → our safetensors, checked to load
// exactly into the zoo model before anything is written.
//  - paddle: a per-variable directory, a .tar of one, or a combined `params` file (split by the
//    model's sorted variable names, with the model's shapes);
//  - torchvision / timm: a safetensors file or a sharded index (*.safetensors.index.json),
//    mapped onto Paddle names by src/io/torch_keymap.ts.
import { statSync } from 'node:fs';
import { readPaddleParams } from '../io/paddle.js';
import { loadShardedSafetensors, readSafetensors, saveSafetensors } from '../io/safetensors.js';
import { mapTorchStateDict, type TorchSource } from '../io/torch_keymap.js';
import { createModel, getModelEntry } from '../models/index.js';
import { Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { preprocessMeta, resolvePreprocess } from './preprocess.js';
import { META_KEY, type WeightsMeta } from './weights.js';

export type ImportSource = 'paddle' | TorchSource;

export interface ImportArgs {
  from: ImportSource;
  model: string;
  input: string;
  output: string;
  classDim?: number | null;
}

export interface ImportResult {
  model: string;
  tensors: number;
  classDim: number;
  output: string;
}

function paddleTensors(input: string, model: string, classDim: number): Map<string, Tensor> {
  const probe = createModel(model, { classDim, initialize: false });
  const shapes = new Map<string, number[]>();
  for (const [n, t] of probe.stateDict()) shapes.set(n, [...t.shape]);
  return readPaddleParams(input, { shapes }).tensors;
}

function torchTensors(input: string, model: string, source: TorchSource): Map<string, Tensor> {
  let st;
  try {
    st = statSync(input);
  } catch {
    throw new UserError(`${input}: no such file`);
  }
  if (st.isDirectory()) throw new UserError(`${input}: expected a .safetensors file or a *.safetensors.index.json, got a directory`);
  const contents = input.endsWith('.json') ? loadShardedSafetensors(input) : readSafetensors(input);
  const mapped = mapTorchStateDict(model, source, contents.tensors);
  const out = new Map<string, Tensor>();
  for (const [n, t] of mapped) out.set(n, new Tensor(t.data, t.shape));
  return out;
}

/** The class count the weights carry: the last dim of the tensor that is [*, 1000] at classDim 1000. */
function classDimOf(model: string, shapes: ReadonlyMap<string, readonly number[]>): number | null {
  const probe = createModel(model, { classDim: 1000, initialize: false });
  for (const [n, t] of probe.stateDict()) {
    if (t.shape[t.shape.length - 1] !== 1000) continue;
    const s = shapes.get(n);
    if (s !== undefined) return s[s.length - 1] ?? null;
  }
  return null;
}

export function runImport(a: ImportArgs): ImportResult {
  const name = getModelEntry(a.model).name;
  let tensors: Map<string, Tensor>;
  let classDim: number;
  if (a.from === 'paddle') {
    if (a.classDim != null) classDim = a.classDim;
    else {
      // directory/tar: the file shapes tell the class count; a combined file needs the model's shapes first
      try {
        const peek = readPaddleParams(a.input, {}).tensors;
        classDim = classDimOf(name, new Map([...peek].map(([n, t]) => [n, t.shape]))) ?? 1000;
      } catch {
        classDim = 1000;
      }
    }
    tensors = paddleTensors(a.input, name, classDim);
  } else if (a.from === 'torchvision' || a.from === 'timm') {
    tensors = torchTensors(a.input, name, a.from);
    classDim = a.classDim ?? classDimOf(name, new Map([...tensors].map(([n, t]) => [n, t.shape]))) ?? 1000;
  } else {
    throw new UserError(`import: unknown source '${String(a.from)}' (paddle, torchvision, timm)`);
  }
  // Verify: the result must fill the model exactly (every tensor, every shape, nothing extra).
  const model = createModel(name, { classDim, initialize: false });
  const r = model.loadStateDict(tensors, { strict: false });
  const problems: string[] = [];
  if (r.missing.length) problems.push(`${r.missing.length} missing (e.g. ${r.missing.slice(0, 3).join(', ')})`);
  if (r.unexpected.length) problems.push(`${r.unexpected.length} unexpected (e.g. ${r.unexpected.slice(0, 3).join(', ')})`);
  if (r.mismatched.length) {
    const m = r.mismatched[0]!;
    problems.push(`${r.mismatched.length} with another shape (e.g. ${m.name}: model [${m.expected.join(', ')}], file [${m.got.join(', ')}])`);
  }
  if (problems.length) throw new UserError(`${a.input}: does not load exactly into ${name} (class_dim ${classDim}): ${problems.join('; ')}`);
  const meta: WeightsMeta = { model: name, class_dim: classDim, preprocessing: preprocessMeta(resolvePreprocess(name, {}, new Set(), null)) };
  saveSafetensors(a.output, model.stateDict(), { [META_KEY]: JSON.stringify(meta) });
  return { model: name, tensors: model.stateDict().size, classDim, output: a.output };
}
