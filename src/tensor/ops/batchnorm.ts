// Batch normalisation over the channel axis of [N, C, ...]. Training uses the biased batch
// statistics and updates the running ones in place (running = m*running + (1-m)*batch, as
// Paddle's CPU kernel); inference folds the running statistics into a per-channel affine.
import type { RectifierActivation } from '../../backend/backend.js';
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import { allocF32, releaseF32 } from '../buffer_pool.js';
import type { Tensor } from '../tensor.js';
import { traceOp } from '../trace.js';
import { unaryOp } from './elementwise.js';
import { assertFloat, emptyLike } from './util.js';

export interface BatchNormOptions {
  training: boolean;
  momentum?: number;
  eps?: number;
}

export interface BatchNormActOptions extends BatchNormOptions {
  act: RectifierActivation;
  /** leaky_relu slope (>= 0); default 0.02, Fluid's */
  alpha?: number;
}

/** [n, c, hw] of a batch-norm input, after checking the per-channel tensors. */
function bnDims(op: string, x: Tensor, perChannel: readonly (readonly [Tensor, string])[]): [number, number, number] {
  assertFloat(x, op);
  if (x.ndim < 2) throw new RangeError(`${op}: input must be [N, C, ...]`);
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  for (const [t, what] of perChannel) {
    if (t.size !== c) throw new RangeError(`${op}: ${what} has ${t.size} elements, input has ${c} channels`);
  }
  return [n, c, x.size / Math.max(1, n * c)];
}

/**
 * act(batchNorm(x)) for a rectifier. Training runs one fused kernel that writes only the
 * activated output, and a backward that reads the activation's mask from that output, so the
 * normalised pre-activation is never stored. Eval mode composes the two ops.
 */
export function batchNormAct(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, opts: BatchNormActOptions): Tensor {
  const act = opts.act;
  const alpha = opts.alpha ?? 0.02;
  if (act === 'leaky_relu' && !(alpha >= 0)) throw new RangeError(`batchNormAct: leaky_relu slope must be >= 0, got ${alpha}`);
  if (!opts.training) {
    const y = batchNorm(x, gamma, beta, runningMean, runningVar, opts);
    if (act === 'none') return y;
    const out = unaryOp(act, y, act === 'leaky_relu' ? alpha : 0);
    if (!y.requiresGrad) y.free(); // off the tape: nothing else can reach it
    return out;
  }
  const [n, c, hw] = bnDims('batchNormAct', x, [[gamma, 'gamma'], [beta, 'beta'], [runningMean, 'running mean'], [runningVar, 'running variance']]);
  const momentum = opts.momentum ?? 0.9;
  const eps = opts.eps ?? 1e-5;
  const be = getBackend();
  const out = emptyLike(x.shape);
  traceOp('batch_norm_train', [x, gamma, beta, runningMean, runningVar], out, { eps });
  const saveMean = allocF32(c);
  const saveInvStd = allocF32(c);
  const batchVar = allocF32(c);
  be.batchNormActTrainForward(n, c, hw, x.values, gamma.values, beta.values, eps, act, alpha, out.values, saveMean, saveInvStd, batchVar);
  be.axpby(1 - momentum, saveMean, momentum, runningMean.values);
  be.axpby(1 - momentum, batchVar, momentum, runningVar.values);
  releaseF32(batchVar);
  if (!needsGrad(x, gamma, beta)) {
    releaseF32(saveMean);
    releaseF32(saveInvStd);
    return out;
  }
  return record(out, `batch_norm_${act}`, [x, gamma, beta], (gy) => {
    const gx = emptyLike(x.shape);
    const gg = emptyLike(gamma.shape);
    const gb = emptyLike(beta.shape);
    // `out` is still alive here: the tape frees a node's output only after its backward ran.
    be.batchNormActBackward(n, c, hw, x.values, out.values, gy.values, gamma.values, saveMean, saveInvStd, act, alpha, gx.values, gg.values, gb.values);
    releaseF32(saveMean);
    releaseF32(saveInvStd);
    return [gx, gg, gb].map((g, i) => {
      if ([x, gamma, beta][i]!.requiresGrad) return g;
      g.free();
      return null;
    });
  });
}

export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, opts: BatchNormOptions): Tensor {
  const [n, c, hw] = bnDims('batchNorm', x, [[gamma, 'gamma'], [beta, 'beta'], [runningMean, 'running mean'], [runningVar, 'running variance']]);
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
