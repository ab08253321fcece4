// Dropout in Paddle's two implementations: downgrade_in_infer (Fluid's default: train x*mask,
// inference x*(1-p)) and upscale_in_train (train x*mask/(1-p), inference x). An element is
// dropped when random() < p.
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import { allocF32, releaseF32 } from '../buffer_pool.js';
import type { Tensor } from '../tensor.js';
import { traceOp } from '../trace.js';
import { scale } from './elementwise.js';
import { assertFloat, emptyLike } from './util.js';

export interface DropoutOptions {
  training: boolean;
  mode?: 'downgrade_in_infer' | 'upscale_in_train';
  /** uniform [0, 1) source (defaults to Math.random) */
  random?: () => number;
}

export function dropout(x: Tensor, p: number, opts: DropoutOptions): Tensor {
  assertFloat(x, 'dropout');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p = ${p} is outside [0, 1]`);
  const mode = opts.mode ?? 'downgrade_in_infer';
  if (!opts.training) return mode === 'downgrade_in_infer' ? scale(x, 1 - p) : scale(x, 1);
  const random = opts.random ?? Math.random;
  const keep = mode === 'upscale_in_train' ? (p < 1 ? 1 / (1 - p) : 0) : 1;
  const mask = allocF32(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = random() < p ? 0 : keep;
  const be = getBackend();
  const out = emptyLike(x.shape);
  be.binary('mul', x.values, [x.size], mask, [x.size], out.values, [x.size]);
  traceOp('dropout_train', [x], out);
  if (!needsGrad(x)) {
    releaseF32(mask);
    return out;
  }
  return record(out, 'dropout', [x], (gy) => {
    const gx = emptyLike(x.shape);
    be.binary('mul', gy.values, [x.size], mask, [x.size], gx.values, [x.size]);
    releaseF32(mask);
    return [gx];
  });
}
