// `imcls eval`: eval.py — loss, top-1 and top-5 over the whole val list (no dropped tail), with
// the preprocessing saved with the weights unless flags override it.
import { DataLoader } from '../data/loader.js';
import { readSeedList } from '../data/file_list.js';
import { evalTransform } from '../data/transforms.js';
import { writeFileAtomic } from '../io/atomic.js';
import { evaluate, type EvalMetrics } from './evaluate.js';
import { loadInferenceModel } from './inference_model.js';
import type { FlagValues } from '../cli/flags.js';
import type { PreprocessFlags } from './preprocess.js';

export interface EvalResult extends EvalMetrics {
  model: string;
}

export async function evalProgram(v: FlagValues, explicit: ReadonlySet<string>, log: (line: string) => void = console.log): Promise<EvalResult> {
  const im = loadInferenceModel(v as unknown as PreprocessFlags & { model: string | null; pretrained_model: string | null; class_dim: number }, explicit);
  const dataset = readSeedList(String(v['data_dir']), 'val', { classDim: im.classDim });
  const loader = new DataLoader({
    dataset,
    transform: evalTransform(im.prep.pre, { size: im.prep.inputShape[1], channels: im.prep.inputShape[0] }),
    batchSize: Number(v['batch_size']),
    workers: Number(v['reader_thread']),
    bufferSize: Number(v['reader_buf_size']),
    onBadImage: v['on_bad_image'] === 'skip' ? 'skip' : 'error',
  });
  const printStep = Number(v['print_step'] ?? 10);
  let m: EvalMetrics;
  try {
    m = await evaluate(im.model, loader, {
      onBatch: (b, r, el) => {
        if (b % printStep === 0) log(`Testbatch ${b},loss ${r.loss.toFixed(5)}, acc1 ${r.acc1.toFixed(5)},acc5 ${r.acc5.toFixed(5)},time ${el.toFixed(2)} sec`);
      },
    });
  } finally {
    await loader.close();
  }
  if (loader.skipped.count > 0) log(`Skipped ${loader.skipped.count} unreadable images (e.g. ${loader.skipped.examples[0]})`);
  log(`Test_loss ${m.loss.toFixed(5)}, test_acc1 ${m.acc1.toFixed(5)}, test_acc5 ${m.acc5.toFixed(5)}`);
  log(`${m.samples} images in ${m.seconds.toFixed(2)} s (${m.imagesPerSec.toFixed(1)} images/s)`);
  const path = v['save_json_path'];
  if (typeof path === 'string' && path !== '') writeFileAtomic(path, JSON.stringify({ Test_loss: m.loss, test_acc1: m.acc1, test_acc5: m.acc5 }) + '\n');
  return { ...m, model: im.name };
}
