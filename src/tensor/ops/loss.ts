// Softmax cross-entropy on logits, for hard int32 labels [N] or soft float32 targets [N, K]
// (rows summing to 1). The kernel keeps the probabilities, so backward is (prob - target) * dloss.
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import { allocF32, releaseF32 } from '../buffer_pool.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, emptyLike } from './util.js';

export interface CrossEntropyOptions {
  /** 'mean' (default) divides the summed row losses by N; 'none' returns the [N] row losses. */
  reduction?: 'mean' | 'sum' | 'none';
}

export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  assertFloat(logits, 'crossEntropy');
  if (logits.ndim !== 2) throw new RangeError(`crossEntropy: logits must be [N, K], got [${logits.shape.join(', ')}]`);
  const rows = logits.shape[0]!;
  const cols = logits.shape[1]!;
  const hard = target.dtype === 'int32';
  if (hard ? target.size !== rows : target.size !== rows * cols) {
    throw new RangeError(`crossEntropy: target [${target.shape.join(', ')}] does not match logits [${rows}, ${cols}]`);
  }
  const reduction = opts.reduction ?? 'mean';
  const be = getBackend();
  const rowLoss = emptyLike([rows]);
  const prob = allocF32(rows * cols);
  const t = hard ? target.indices : target.values;
  be.softmaxCrossEntropy(rows, cols, logits.values, t, rowLoss.values, prob);

  let out = rowLoss;
  if (reduction !== 'none') {
    out = emptyLike([]);
    be.reduceAxis(reduction === 'mean' ? 'mean' : 'sum', 1, rows, 1, rowLoss.values, out.values, null);
    rowLoss.free();
  }
  if (!needsGrad(logits)) {
    releaseF32(prob);
    return out;
  }
  return record(out, 'cross_entropy', [logits], (gy) => {
    const g = emptyLike(logits.shape);
    const gv = g.values;
    // prob - target
    if (hard) {
      gv.set(prob);
      const labels = target.indices;
      for (let r = 0; r < rows; r++) gv[r * cols + labels[r]!] = gv[r * cols + labels[r]!]! - 1;
    } else {
      be.binary('sub', prob, [rows * cols], target.values, [rows * cols], gv, [rows * cols]);
    }
    releaseF32(prob);
    // times dloss per row
    if (reduction === 'none') {
      const scaled = emptyLike(logits.shape);
      be.binary('mul', gv, [rows, cols], gy.values, [rows, 1], scaled.values, [rows, cols]);
      g.free();
      return [scaled];
    }
    const s = gy.values[0]! / (reduction === 'mean' ? rows : 1);
    be.axpby(0, gv, s, gv);
    return [g];
  });
}
