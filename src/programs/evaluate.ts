// One pass over an evaluation loader: sample-weighted loss, top-1 and top-5 (as Paddle's [S]
// eval.py: Σ metric·len(batch) / Σ len(batch)), over the whole list (no dropped tail).
import type { DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/grad_mode.js';
import { accuracy, crossEntropy } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

export interface EvalMetrics {
  loss: number;
  acc1: number;
  acc5: number;
  samples: number;
  seconds: number;
  imagesPerSec: number;
}

export interface EvalHooks {
  /** Called after each batch with running means and the batch wall time. */
  onBatch?: (b: number, running: { loss: number; acc1: number; acc5: number }, elapse: number) => void;
}

export async function evaluate(model: Module, loader: DataLoader, hooks: EvalHooks = {}): Promise<EvalMetrics> {
  const wasTraining = model.training;
  model.eval();
  let loss = 0, acc1 = 0, acc5 = 0, n = 0;
  const t0 = performance.now();
  let tb = t0;
  try {
    for await (const batch of loader.epoch(0)) {
      const m = batch.labels.size;
      noGrad(() => {
        const logits = model.forward(batch.images) as Tensor;
        const k5 = Math.min(5, logits.shape[1]!);
        const l = crossEntropy(logits, batch.labels);
        loss += l.item() * m;
        acc1 += accuracy(logits, batch.labels, 1) * m;
        acc5 += accuracy(logits, batch.labels, k5) * m;
        l.free();
        logits.free();
      });
      batch.images.free();
      n += m;
      const now = performance.now();
      hooks.onBatch?.(batch.index, { loss: loss / n, acc1: acc1 / n, acc5: acc5 / n }, (now - tb) / 1000);
      tb = now;
    }
  } finally {
    if (wasTraining) model.train();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { loss: loss / n, acc1: acc1 / n, acc5: acc5 / n, samples: n, seconds, imagesPerSec: n / seconds };
}
