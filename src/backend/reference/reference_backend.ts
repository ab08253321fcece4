// Plain TypeScript kernels: simple loops, written to be obviously right. They are the oracle
// the native kernels are tested against, and the fallback when the addon is unavailable.
// Each family lives in its own file; this class only binds them to the Backend interface.
import type {
  Backend, BinaryOp, Conv2dGeometry, ConvActivation, FusedActivation, PackedConvWeights, Pool2dGeometry, RectifierActivation, UnaryOp,
} from '../backend.js';
import { batchNormBackwardRef, batchNormTrainForwardRef, channelAffineRef } from './batchnorm.js';
import { addActRef, batchNormActBackwardRef, batchNormActTrainForwardRef } from './batchnorm_act.js';
import {
  conv2dBackwardDataRef, conv2dBackwardWeightRef, conv2dForwardPackedRef, conv2dForwardRef, conv2dPackWeightsRef,
} from './conv.js';
import { binaryRef, reduceAxisRef, stridedCopyRef, sumToShapeRef, unaryBackwardRef, unaryRef } from './elementwise.js';
import { gemmRef } from './gemm.js';
import { adamRef, rmspropRef, sgdMomentumRef } from './optim.js';
import { avgPool2dBackwardRef, avgPool2dForwardRef, maxPool2dBackwardRef, maxPool2dForwardRef } from './pool.js';
import { softmaxBackwardRef, softmaxCrossEntropyRef, softmaxRef, topkRef } from './softmax.js';

export class ReferenceBackend implements Backend {
  readonly name: 'reference' | 'native' = 'reference';

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): void {
    gemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }

  conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void {
    conv2dForwardRef(g, x, w, bias, y);
  }
  conv2dPackWeights(g: Conv2dGeometry, w: Float32Array): PackedConvWeights {
    return conv2dPackWeightsRef(g, w);
  }
  conv2dForwardPacked(
    g: Conv2dGeometry, x: Float32Array, packed: PackedConvWeights, bias: Float32Array | null, y: Float32Array,
    act: ConvActivation, alpha: number, residual: Float32Array | null = null,
  ): void {
    conv2dForwardPackedRef(g, x, packed, bias, y, act, alpha, residual);
  }
  conv2dBackwardData(g: Conv2dGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
    conv2dBackwardDataRef(g, dy, w, dx);
  }
  conv2dBackwardWeight(g: Conv2dGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null): void {
    conv2dBackwardWeightRef(g, x, dy, dw, db);
  }

  maxPool2dForward(g: Pool2dGeometry, x: Float32Array, y: Float32Array, argmax: Int32Array): void {
    maxPool2dForwardRef(g, x, y, argmax);
  }
  maxPool2dBackward(g: Pool2dGeometry, dy: Float32Array, argmax: Int32Array, dx: Float32Array): void {
    maxPool2dBackwardRef(g, dy, argmax, dx);
  }
  avgPool2dForward(g: Pool2dGeometry, x: Float32Array, y: Float32Array): void {
    avgPool2dForwardRef(g, x, y);
  }
  avgPool2dBackward(g: Pool2dGeometry, dy: Float32Array, dx: Float32Array): void {
    avgPool2dBackwardRef(g, dy, dx);
  }

  batchNormTrainForward(n: number, c: number, hw: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number,
    y: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, batchVar: Float32Array): void {
    batchNormTrainForwardRef(n, c, hw, x, gamma, beta, eps, y, saveMean, saveInvStd, batchVar);
  }
  batchNormBackward(n: number, c: number, hw: number, x: Float32Array, dy: Float32Array, gamma: Float32Array,
    saveMean: Float32Array, saveInvStd: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void {
    batchNormBackwardRef(n, c, hw, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
  }
  batchNormActTrainForward(n: number, c: number, hw: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number,
    act: RectifierActivation, alpha: number, y: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, batchVar: Float32Array): void {
    batchNormActTrainForwardRef(n, c, hw, x, gamma, beta, eps, act, alpha, y, saveMean, saveInvStd, batchVar);
  }
  batchNormActBackward(n: number, c: number, hw: number, x: Float32Array, y: Float32Array, dy: Float32Array, gamma: Float32Array,
    saveMean: Float32Array, saveInvStd: Float32Array, act: RectifierActivation, alpha: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void {
    batchNormActBackwardRef(n, c, hw, x, y, dy, gamma, saveMean, saveInvStd, act, alpha, dx, dgamma, dbeta);
  }
  channelAffine(n: number, c: number, hw: number, x: Float32Array, scale: Float32Array, shift: Float32Array, act: FusedActivation, y: Float32Array): void {
    channelAffineRef(n, c, hw, x, scale, shift, act, y);
  }

  unary(op: UnaryOp, x: Float32Array, y: Float32Array, alpha: number): void {
    unaryRef(op, x, y, alpha);
  }
  unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, alpha: number): void {
    unaryBackwardRef(op, x, y, dy, dx, alpha);
  }
  binary(op: BinaryOp, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], out: Float32Array, outShape: readonly number[]): void {
    binaryRef(op, a, aShape, b, bShape, out, outShape);
  }

  addAct(a: Float32Array, b: Float32Array, act: RectifierActivation, alpha: number, out: Float32Array): void {
    addActRef(a, b, act, alpha, out);
  }

  axpby(a: number, x: Float32Array, b: number, y: Float32Array): void {
    const n = y.length;
    if (x.length !== n) throw new RangeError(`axpby: lengths ${x.length} and ${n} differ`);
    if (b === 1) for (let i = 0; i < n; i++) y[i] = a * x[i]! + y[i]!;
    else for (let i = 0; i < n; i++) y[i] = a * x[i]! + b * y[i]!;
  }

  fill(y: Float32Array, value: number): void {
    y.fill(value);
  }

  sumToShape(src: Float32Array, srcShape: readonly number[], dst: Float32Array, dstShape: readonly number[]): void {
    sumToShapeRef(src, srcShape, dst, dstShape);
  }
  reduceAxis(op: 'sum' | 'mean' | 'max', outer: number, axis: number, inner: number, x: Float32Array, y: Float32Array, argmax: Int32Array | null): void {
    reduceAxisRef(op, outer, axis, inner, x, y, argmax);
  }
  stridedCopy(src: Float32Array, srcOffset: number, srcStrides: readonly number[], dst: Float32Array, dstOffset: number, dstStrides: readonly number[], shape: readonly number[]): void {
    stridedCopyRef(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape);
  }

  softmax(rows: number, cols: number, x: Float32Array, y: Float32Array, log: boolean): void {
    softmaxRef(rows, cols, x, y, log);
  }
  softmaxBackward(rows: number, cols: number, y: Float32Array, dy: Float32Array, dx: Float32Array, log: boolean): void {
    softmaxBackwardRef(rows, cols, y, dy, dx, log);
  }
  softmaxCrossEntropy(rows: number, cols: number, logits: Float32Array, target: Int32Array | Float32Array, loss: Float32Array, prob: Float32Array): void {
    softmaxCrossEntropyRef(rows, cols, logits, target, loss, prob);
  }
  topk(rows: number, cols: number, x: Float32Array, k: number, values: Float32Array, indices: Int32Array): void {
    topkRef(rows, cols, x, k, values, indices);
  }

  sgdMomentum(p: Float32Array, g: Float32Array, v: Float32Array, lr: number, momentum: number, l2: number, nesterov: boolean): void {
    sgdMomentumRef(p, g, v, lr, momentum, l2, nesterov);
  }
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, step: number, l2: number, decoupledWeightDecay: number): void {
    adamRef(p, g, m, v, lr, beta1, beta2, eps, step, l2, decoupledWeightDecay);
  }
  rmsprop(p: Float32Array, g: Float32Array, ms: Float32Array, mom: Float32Array, lr: number, rho: number, eps: number, momentum: number, l2: number): void {
    rmspropRef(p, g, ms, mom, lr, rho, eps, momentum, l2);
  }
}
