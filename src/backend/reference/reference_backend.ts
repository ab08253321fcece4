// Plain TypeScript kernels: simple loops, written to be obviously right. They are the oracle
// the native kernels are tested against, and the fallback when the addon is unavailable.
import type { Backend, BinaryOp, Conv2dGeometry, FusedActivation, Pool2dGeometry, UnaryOp } from '../backend.js';

function notYet(name: string): never {
  throw new Error(`reference backend: ${name} is not implemented yet`);
}

export class ReferenceBackend implements Backend {
  readonly name: 'reference' | 'native' = 'reference';

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): void {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[p * lda + i]! : a[i * lda + p]!;
          const bv = transB ? b[j * ldb + p]! : b[p * ldb + j]!;
          acc += av * bv;
        }
        c[i * ldc + j] = alpha * acc + (beta === 0 ? 0 : beta * c[i * ldc + j]!);
      }
    }
  }

  conv2dForward(_g: Conv2dGeometry, _x: Float32Array, _w: Float32Array, _bias: Float32Array | null, _y: Float32Array): void { notYet('conv2dForward'); }
  conv2dBackwardData(_g: Conv2dGeometry, _dy: Float32Array, _w: Float32Array, _dx: Float32Array): void { notYet('conv2dBackwardData'); }
  conv2dBackwardWeight(_g: Conv2dGeometry, _x: Float32Array, _dy: Float32Array, _dw: Float32Array, _db: Float32Array | null): void { notYet('conv2dBackwardWeight'); }
  maxPool2dForward(_g: Pool2dGeometry, _x: Float32Array, _y: Float32Array, _argmax: Int32Array): void { notYet('maxPool2dForward'); }
  maxPool2dBackward(_g: Pool2dGeometry, _dy: Float32Array, _argmax: Int32Array, _dx: Float32Array): void { notYet('maxPool2dBackward'); }
  avgPool2dForward(_g: Pool2dGeometry, _x: Float32Array, _y: Float32Array): void { notYet('avgPool2dForward'); }
  avgPool2dBackward(_g: Pool2dGeometry, _dy: Float32Array, _dx: Float32Array): void { notYet('avgPool2dBackward'); }
  batchNormTrainForward(_n: number, _c: number, _hw: number, _x: Float32Array, _gamma: Float32Array, _beta: Float32Array, _eps: number,
    _y: Float32Array, _saveMean: Float32Array, _saveInvStd: Float32Array, _batchVar: Float32Array): void { notYet('batchNormTrainForward'); }
  batchNormBackward(_n: number, _c: number, _hw: number, _x: Float32Array, _dy: Float32Array, _gamma: Float32Array,
    _saveMean: Float32Array, _saveInvStd: Float32Array, _dx: Float32Array, _dgamma: Float32Array, _dbeta: Float32Array): void { notYet('batchNormBackward'); }
  channelAffine(_n: number, _c: number, _hw: number, _x: Float32Array, _scale: Float32Array, _shift: Float32Array, _act: FusedActivation, _y: Float32Array): void { notYet('channelAffine'); }
  unary(_op: UnaryOp, _x: Float32Array, _y: Float32Array, _alpha: number): void { notYet('unary'); }
  unaryBackward(_op: UnaryOp, _x: Float32Array, _y: Float32Array, _dy: Float32Array, _dx: Float32Array, _alpha: number): void { notYet('unaryBackward'); }
  binary(_op: BinaryOp, _a: Float32Array, _aShape: readonly number[], _b: Float32Array, _bShape: readonly number[], _out: Float32Array, _outShape: readonly number[]): void { notYet('binary'); }

  axpby(a: number, x: Float32Array, b: number, y: Float32Array): void {
    const n = y.length;
    if (x.length !== n) throw new RangeError(`axpby: lengths ${x.length} and ${n} differ`);
    if (b === 1) for (let i = 0; i < n; i++) y[i] = a * x[i]! + y[i]!;
    else for (let i = 0; i < n; i++) y[i] = a * x[i]! + b * y[i]!;
  }

  fill(y: Float32Array, value: number): void {
    y.fill(value);
  }

  sumToShape(_src: Float32Array, _srcShape: readonly number[], _dst: Float32Array, _dstShape: readonly number[]): void { notYet('sumToShape'); }
  reduceAxis(_op: 'sum' | 'mean' | 'max', _outer: number, _axis: number, _inner: number, _x: Float32Array, _y: Float32Array, _argmax: Int32Array | null): void { notYet('reduceAxis'); }
  stridedCopy(_src: Float32Array, _srcOffset: number, _srcStrides: readonly number[], _dst: Float32Array, _dstOffset: number, _dstStrides: readonly number[], _shape: readonly number[]): void { notYet('stridedCopy'); }
  softmax(_rows: number, _cols: number, _x: Float32Array, _y: Float32Array, _log: boolean): void { notYet('softmax'); }
  softmaxBackward(_rows: number, _cols: number, _y: Float32Array, _dy: Float32Array, _dx: Float32Array, _log: boolean): void { notYet('softmaxBackward'); }
  softmaxCrossEntropy(_rows: number, _cols: number, _logits: Float32Array, _target: Int32Array | Float32Array, _loss: Float32Array, _prob: Float32Array): void { notYet('softmaxCrossEntropy'); }
  topk(_rows: number, _cols: number, _x: Float32Array, _k: number, _values: Float32Array, _indices: Int32Array): void { notYet('topk'); }
  sgdMomentum(_p: Float32Array, _g: Float32Array, _v: Float32Array, _lr: number, _momentum: number, _l2: number, _nesterov: boolean): void { notYet('sgdMomentum'); }
  adam(_p: Float32Array, _g: Float32Array, _m: Float32Array, _v: Float32Array, _lr: number, _beta1: number, _beta2: number, _eps: number, _step: number, _l2: number, _wd: number): void { notYet('adam'); }
  rmsprop(_p: Float32Array, _g: Float32Array, _ms: Float32Array, _mom: Float32Array, _lr: number, _rho: number, _eps: number, _momentum: number, _l2: number): void { notYet('rmsprop'); }
}
