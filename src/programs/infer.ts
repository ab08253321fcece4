// `imcls infer`: infer.py — top-k classes with probabilities and readable labels for an image,
// a folder of images, or a list; one JSON line per image.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataLoader } from '../data/loader.js';
import type { FileDataset } from '../data/dataset.js';
import { IMAGE_EXTENSIONS } from '../data/image_folder.js';
import { readLabelList } from '../data/file_list.js';
import { evalTransform } from '../data/transforms.js';
import { writeFileAtomic } from '../io/atomic.js';
import { noGrad } from '../tensor/grad_mode.js';
import { softmax, topk } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import type { FlagValues } from '../cli/flags.js';
import { loadInferenceModel } from './inference_model.js';
import type { PreprocessFlags } from './preprocess.js';

export interface Prediction {
  image: string;
  class: number[];
  score: number[];
  class_name: string[];
}

/** The ImageNet-1k readable labels shipped with the package. */
export function defaultLabelPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'assets', 'imagenet1k_labels.txt');
}

const isImage = (p: string): boolean => IMAGE_EXTENSIONS.some((e) => p.toLowerCase().endsWith(e));

/** --image_path as a file, a folder (its images, sorted, recursively) or a text list of paths. */
export function inferInputs(imagePath: string | null, dataDir: string): string[] {
  if (imagePath === null) {
    const list = join(dataDir, 'val_list.txt');
    if (!existsSync(list)) throw new UserError(`--image_path is not given and ${list} does not exist`);
    return listFile(list, dataDir);
  }
  let st;
  try {
    st = statSync(imagePath);
  } catch {
    throw new UserError(`--image_path: ${imagePath} does not exist`);
  }
  if (st.isDirectory()) {
    const files = readdirSync(imagePath, { recursive: true }).map(String).filter(isImage).sort().map((f) => join(imagePath, f));
    if (files.length === 0) throw new UserError(`--image_path: no images (${IMAGE_EXTENSIONS.join(' ')}) in ${imagePath}`);
    return files;
  }
  if (isImage(imagePath)) return [imagePath];
  return listFile(imagePath, dirname(imagePath));
}

function listFile(path: string, base: string): string[] {
  const lines = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: string[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // A list line may carry a label after the path (the seed's val_list.txt): drop it.
    const m = /^(.*\S)\s+-?\d+$/.exec(line);
    const p = m ? m[1]! : line;
    const full = isAbsolute(p) ? p : join(base, p);
    if (!existsSync(full)) throw new UserError(`${path}:${i + 1}: image file not found: ${full}`);
    out.push(full);
  });
  if (out.length === 0) throw new UserError(`${path}: no image paths in the list`);
  return out;
}

export async function inferProgram(v: FlagValues, explicit: ReadonlySet<string>, emit: (p: Prediction) => void): Promise<Prediction[]> {
  const im = loadInferenceModel(v as unknown as PreprocessFlags & { model: string | null; pretrained_model: string | null; class_dim: number }, explicit);
  const labelPath = typeof v['label_path'] === 'string' ? v['label_path'] : null;
  let labels: readonly string[] | null = im.weights.meta?.labels ?? null;
  if (labelPath) labels = readLabelList(labelPath);
  else if (labels === null && im.classDim === 1000) labels = readLabelList(defaultLabelPath());
  const k = Math.min(Number(v['topk']), im.classDim);
  const paths = inferInputs(typeof v['image_path'] === 'string' ? v['image_path'] : null, String(v['data_dir']));
  const dataset: FileDataset = { kind: 'files', name: 'images', paths, labels: new Int32Array(paths.length), classNames: null };
  const loader = new DataLoader({
    dataset,
    transform: evalTransform(im.prep.pre, { size: im.prep.inputShape[1], channels: im.prep.inputShape[0] }),
    batchSize: Number(v['batch_size']),
    workers: Math.min(Number(v['reader_thread']), Math.ceil(paths.length / Number(v['batch_size']))),
    // Batches carry no sample indices, so a skipped image would shift every later name: infer
    // always stops on an unreadable image, naming it.
    onBadImage: 'error',
  });
  const results: Prediction[] = [];
  try {
    for await (const batch of loader.epoch(0)) {
      const n = batch.labels.size;
      const { values, indices } = noGrad(() => {
        const logits = im.model.forward(batch.images) as Tensor;
        const prob = softmax(logits);
        logits.free();
        const r = topk(prob, k);
        prob.free();
        return r;
      });
      batch.images.free();
      const vs = values.values, is = indices.indices;
      for (let r = 0; r < n; r++) {
        const cls = Array.from(is.subarray(r * k, (r + 1) * k));
        const p: Prediction = {
          image: paths[batch.index * loader.batchSize + r]!,
          class: cls,
          score: Array.from(vs.subarray(r * k, (r + 1) * k), (x) => Number(x.toFixed(6))),
          class_name: cls.map((c) => labels?.[c] ?? String(c)),
        };
        results.push(p);
        emit(p);
      }
    }
  } finally {
    await loader.close();
  }
  const save = v['save_json_path'];
  if (typeof save === 'string' && save !== '') writeFileAtomic(save, results.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return results;
}
