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
  const be = getBackend();
  return trainBatchNorm(`batch_norm_${act}`, x, gamma, beta, runningMean, runningVar, opts, {
    forward: (out, eps, saveMean, saveInvStd, batchVar) =>
      be.batchNormActTrainForward(n, c, hw, x.values, gamma.values, beta.values, eps, act, alpha, out, saveMean, saveInvStd, batchVar),
    // `out` is still alive in backward: the tape frees a node's output only after its backward ran.
    backward: (gy, out, saveMean, saveInvStd, gx, gg, gb) =>
      be.batchNormActBackward(n, c, hw, x.values, out, gy, gamma.values, saveMean, saveInvStd, act, alpha, gx, gg, gb),
  });
}

interface BatchNormTrainKernels {
  forward(out: Float32Array, eps: number, saveMean: Float32Array, saveInvStd: Float32Array, batchVar: Float32Array): void;
  backward(gy: Float32Array, out: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, gx: Float32Array, gg: Float32Array, gb: Float32Array): void;
}

/**
 * Training mode, plain or fused: runs the forward kernel on batch statistics, moves the running
 * statistics towards them, and records the backward, which owns the saved mean and inverse std
 * until it runs (they are released at once when nothing needs a gradient).
 */
function trainBatchNorm(name: string, x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, opts: BatchNormOptions, k: BatchNormTrainKernels): Tensor {
  const c = x.shape[1]!;
  const momentum = opts.momentum ?? 0.9;
  const eps = opts.eps ?? 1e-5;
  const be = getBackend();
  const out = emptyLike(x.shape);
  traceOp('batch_norm_train', [x, gamma, beta, runningMean, runningVar], out, { eps });
  const saveMean = allocF32(c);
  const saveInvStd = allocF32(c);
  const batchVar = allocF32(c);
  k.forward(out.values, eps, saveMean, saveInvStd, batchVar);
  be.axpby(1 - momentum, saveMean, momentum, runningMean.values);
  be.axpby(1 - momentum, batchVar, momentum, runningVar.values);
  releaseF32(batchVar);
  if (!needsGrad(x, gamma, beta)) {
    releaseF32(saveMean);
    releaseF32(saveInvStd);
    return out;
  }
  return record(out, name, [x, gamma, beta], (gy) => {
    const grads = [emptyLike(x.shape), emptyLike(gamma.shape), emptyLike(beta.shape)] as const;
    k.backward(gy.values, out.values, saveMean, saveInvStd, grads[0].values, grads[1].values, grads[2].values);
    releaseF32(saveMean);
    releaseF32(saveInvStd);
    return grads.map((g, i) => {
      if ([x, gamma, beta][i]!.requiresGrad) return g;
      g.free();
      return null;
    });
  });
}

export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, opts: BatchNormOptions): Tensor {
  const [n, c, hw] = bnDims('batchNorm', x, [[gamma, 'gamma'], [beta, 'beta'], [runningMean, 'running mean'], [runningVar, 'running variance']]);
  const be = getBackend();
  if (opts.training) {
    return trainBatchNorm('batch_norm', x, gamma, beta, runningMean, runningVar, opts, {
      forward: (out, eps, saveMean, saveInvStd, batchVar) =>
        be.batchNormTrainForward(n, c, hw, x.values, gamma.values, beta.values, eps, out, saveMean, saveInvStd, batchVar),
      backward: (gy, _out, saveMean, saveInvStd, gx, gg, gb) =>
        be.batchNormBackward(n, c, hw, x.values, gy, gamma.values, saveMean, saveInvStd, gx, gg, gb),
    });
  }

  const eps = opts.eps ?? 1e-5;
  const out = emptyLike(x.shape);
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
