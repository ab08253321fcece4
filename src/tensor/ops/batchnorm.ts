// Batch normalisation over the channel axis of [N, C, ...]. Training uses the biased batch
// statistics and updates the running ones in place (running = m*running + (1-m)*batch, as
// Paddle's CPU kernel); inference folds the running statistics into a per-channel affine.
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import { allocF32, releaseF32 } from '../buffer_pool.js';
import type { Tensor } from '../tensor.js';
import { traceOp } from '../trace.js';
import { assertFloat, emptyLike } from './util.js';

export interface BatchNormOptions {
  training: boolean;
  momentum?: number;
  eps?: number;
}

export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, opts: BatchNormOptions): Tensor {
  assertFloat(x, 'batchNorm');
  if (x.ndim < 2) throw new RangeError('batchNorm: input must be [N, C, ...]');
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  const hw = x.size / Math.max(1, n * c);
  for (const [t, what] of [[gamma, 'gamma'], [beta, 'beta'], [runningMean, 'running mean'], [runningVar, 'running variance']] as const) {
    if (t.size !== c) throw new RangeError(`batchNorm: ${what} has ${t.size} elements, input has ${c} channels`);
  }
  const momentum = opts.momentum ?? 0.9;
  const eps = opts.eps ?? 1e-5;
  const be = getBackend();
  const out = emptyLike(x.shape);

  if (opts.training) {
    traceOp('batch_norm_train', [x, gamma, beta, runningMean, runningVar], out, { eps });
    const saveMean = allocF32(c);
    const saveInvStd = allocF32(c);
    const batchVar = allocF32(c);
    be.batchNormTrainForward(n, c, hw, x.values, gamma.values, beta.values, eps, out.values, saveMean, saveInvStd, batchVar);
    be.axpby(1 - momentum, saveMean, momentum, runningMean.values);
    be.axpby(1 - momentum, batchVar, momentum, runningVar.values);
    releaseF32(batchVar);
    if (!needsGrad(x, gamma, beta)) {
      releaseF32(saveMean);
      releaseF32(saveInvStd);
      return out;
    }
    return record(out, 'batch_norm', [x, gamma, beta], (gy) => {
      const gx = emptyLike(x.shape);
      const gg = emptyLike(gamma.shape);
      const gb = emptyLike(beta.shape);
      be.batchNormBackward(n, c, hw, x.values, gy.values, gamma.values, saveMean, saveInvStd, gx.values, gg.values, gb.values);
      releaseF32(saveMean);
      releaseF32(saveInvStd);
      const grads = [gx, gg, gb].map((g, i) => {
        if ([x, gamma, beta][i]!.requiresGrad) return g;
        g.free();
        return null;
      });
      return grads;
    });
  }

  // Inference: y = x * scale + shift with scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
  const inv = allocF32(c);
  const scale = allocF32(c);
  const shift = allocF32(c);
  const rm = runningMean.values;
  const rv = runningVar.values;
  const gv = gamma.values;
  const bv = beta.values;
  for (let ch = 0; ch < c; ch++) {
    inv[ch] = 1 / Math.sqrt(rv[ch]! + eps);
    scale[ch] = gv[ch]! * inv[ch]!;
    shift[ch] = bv[ch]! - rm[ch]! * scale[ch]!;
  }
  be.channelAffine(n, c, hw, x.values, scale, shift, 'none', out.values);
  releaseF32(shift);
  traceOp('batch_norm', [x, gamma, beta, runningMean, runningVar], out, { eps });
  if (!needsGrad(x, gamma, beta)) {
    releaseF32(inv);
    releaseF32(scale);
    return out;
  }
  return record(out, 'batch_norm_infer', [x, gamma, beta], (gy) => {
    const zero = allocF32(c);
    zero.fill(0);
    let gx: Tensor | null = null;
    if (x.requiresGrad) {
      gx = emptyLike(x.shape);
      be.channelAffine(n, c, hw, gy.values, scale, zero, 'none', gx.values);
    }
    let gg: Tensor | null = null;
    if (gamma.requiresGrad) {
      // dgamma = sum over n, hw of dy * (x - mean) * inv
      const xhat = allocF32(x.size);
      const negMeanInv = allocF32(c);
      for (let ch = 0; ch < c; ch++) negMeanInv[ch] = -rm[ch]! * inv[ch]!;
      be.channelAffine(n, c, hw, x.values, inv, negMeanInv, 'none', xhat);
      const prod = allocF32(x.size);
      be.binary('mul', xhat, [x.size], gy.values, [x.size], prod, [x.size]);
      gg = emptyLike(gamma.shape);
      be.sumToShape(prod, [n, c, hw], gg.values, [1, c, 1]);
      releaseF32(xhat);
      releaseF32(prod);
      releaseF32(negMeanInv);
    }
    let gb: Tensor | null = null;
    if (beta.requiresGrad) {
      gb = emptyLike(beta.shape);
      be.sumToShape(gy.values, [n, c, hw], gb.values, [1, c, 1]);
    }
    releaseF32(zero);
    releaseF32(inv);
    releaseF32(scale);
    return [gx, gg, gb];
  });
}
