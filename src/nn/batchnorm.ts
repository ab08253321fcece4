// Batch normalisation over NCHW channels with Paddle's four tensors: scale and offset
// (trainable, init 1 and 0) and the running mean and variance (buffers, init 0 and 1;
// moving = momentum*moving + (1-momentum)*batch with the biased batch variance, as Fluid's CPU
// kernel). An optional activation is fused, as Paddle's batch_norm(act=...).
//
// Eval mode uses the running statistics. When nothing needs a gradient (inference) the
// normalisation is folded into one per-channel scale/shift, y = act(x*s + t) with
// s = scale/sqrt(var+eps), t = offset - mean*s, which the backend applies in a single pass
// together with relu/relu6.
import { getBackend } from '../backend/index.js';
import type { FusedActivation } from '../backend/backend.js';
import { needsGrad } from '../tensor/autograd.js';
import { batchNorm, batchNormAct, relu, relu6, swish } from '../tensor/ops/index.js';
import { empty, Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export type BatchNormActivation = 'relu' | 'relu6' | 'swish' | null;

export interface BatchNorm2dOptions {
  channels: number;
  names: { scale: string; offset: string; mean: string; variance: string };
  /** weight of the old running value; default 0.9 (Paddle) */
  momentum?: number;
  /** default 1e-5 */
  eps?: number;
  act?: BatchNormActivation;
}

export class BatchNorm2d extends Module {
  readonly scale: Parameter;
  readonly offset: Parameter;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly channels: number;
  readonly momentum: number;
  readonly eps: number;
  readonly act: BatchNormActivation;
  private foldScale: Float32Array | null = null;
  private foldShift: Float32Array | null = null;

  constructor(o: BatchNorm2dOptions) {
    super();
    this.channels = o.channels;
    this.momentum = o.momentum ?? 0.9;
    this.eps = o.eps ?? 1e-5;
    this.act = o.act ?? null;
    const c = o.channels;
    // Registration order = Paddle's creation order: scale, offset, mean, variance.
    this.scale = this.registerParameter(o.names.scale, new Parameter(new Float32Array(c).fill(1), [c]));
    this.offset = this.registerParameter(o.names.offset, new Parameter(new Float32Array(c), [c]));
    this.runningMean = this.registerBuffer(o.names.mean, new Tensor(new Float32Array(c), [c]));
    this.runningVar = this.registerBuffer(o.names.variance, new Tensor(new Float32Array(c).fill(1), [c]));
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.channels) {
      throw new RangeError(`BatchNorm2d ${this.scale.name}: expected input [N, ${this.channels}, ...], got [${x.shape.join(', ')}]`);
    }
    if (!this.training && !needsGrad(x, this.scale, this.offset)) return this.inferenceForward(x);
    if (this.training && this.act !== 'swish') {
      // One fused kernel: the normalised pre-activation is neither written nor kept for backward.
      return batchNormAct(x, this.scale, this.offset, this.runningMean, this.runningVar, {
        training: true,
        momentum: this.momentum,
        eps: this.eps,
        act: this.act ?? 'none',
      });
    }
    const y = batchNorm(x, this.scale, this.offset, this.runningMean, this.runningVar, {
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
    return this.applyAct(y);
  }

  private applyAct(y: Tensor): Tensor {
    if (this.act === null) return y;
    const out = this.act === 'relu' ? relu(y) : this.act === 'relu6' ? relu6(y) : swish(y);
    if (!y.requiresGrad) y.free(); // not on any tape: nothing else can reach it
    return out;
  }

  private inferenceForward(x: Tensor): Tensor {
    const c = this.channels;
    this.foldScale ??= new Float32Array(c);
    this.foldShift ??= new Float32Array(c);
    const s = this.foldScale;
    const t = this.foldShift;
    const gamma = this.scale.peekValues();
    const beta = this.offset.peekValues();
    const mean = this.runningMean.peekValues();
    const variance = this.runningVar.peekValues();
    for (let i = 0; i < c; i++) {
      // Folded in float64, rounded once.
      const k = gamma[i]! / Math.sqrt(variance[i]! + this.eps);
      s[i] = k;
      t[i] = beta[i]! - mean[i]! * k;
    }
    const n = x.shape[0]!;
    const hw = x.size / (n * c);
    const fused: FusedActivation = this.act === 'relu' || this.act === 'relu6' ? this.act : 'none';
    const y = empty(x.shape);
    getBackend().channelAffine(n, c, hw, x.values, s, t, fused, y.values);
    if (this.act === 'swish') {
      const out = swish(y);
      y.free();
      return out;
    }
    return y;
  }
}
