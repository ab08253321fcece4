// 2-D pooling with Paddle's pool2d semantics: output size by truncating integer division
// ((in - k + padBefore + padAfter [+ s - 1 in ceil mode]) / s + 1), max ignoring padding, average
// over the valid cells (exclusive, the default) or over the whole window. Adaptive average pooling
// uses Paddle's bins [floor(i*H/oh), ceil((i+1)*H/oh)).
import type { Pool2dGeometry } from '../../backend/backend.js';
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import { allocF32, releaseF32 } from '../buffer_pool.js';
import { Tensor } from '../tensor.js';
import { traceOp } from '../trace.js';
import { allocIndexScratch, assertFloat, emptyLike, pair, padding4 } from './util.js';

export interface Pool2dOpOptions {
  kernel: number | [number, number];
  /** defaults to 1 (Fluid's pool2d default) */
  stride?: number | [number, number];
  /** number, [h, w] or [top, bottom, left, right] */
  padding?: number | [number, number] | [number, number, number, number];
  ceilMode?: boolean;
}

export interface AvgPool2dOpOptions extends Pool2dOpOptions {
  /** divide by the valid (unpadded) cells of each window (default true, as Paddle) */
  exclusive?: boolean;
}

/** Paddle's PoolOutputSize: C++ integer division, truncating toward zero. */
export function poolOutputSize(size: number, k: number, stride: number, padBefore: number, padAfter: number, ceilMode: boolean): number {
  return Math.trunc((size - k + padBefore + padAfter + (ceilMode ? stride - 1 : 0)) / stride) + 1;
}

export function pool2dGeometry(xShape: readonly number[], opts: AvgPool2dOpOptions): Pool2dGeometry {
  if (xShape.length !== 4) throw new RangeError('pool2d: input must be 4-D (NCHW)');
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [kh, kw] = pair(opts.kernel, 'kernel');
  const [strideH, strideW] = pair(opts.stride ?? 1, 'stride');
  const [padTop, padBottom, padLeft, padRight] = padding4(opts.padding ?? 0);
  const ceil = opts.ceilMode ?? false;
  if (kh < 1 || kw < 1 || strideH < 1 || strideW < 1) throw new RangeError('pool2d: kernel and stride must be >= 1');
  const oh = poolOutputSize(h, kh, strideH, padTop, padBottom, ceil);
  const ow = poolOutputSize(w, kw, strideW, padLeft, padRight, ceil);
  if (oh < 1 || ow < 1) throw new RangeError(`pool2d: output would be ${oh}x${ow} for input ${h}x${w}`);
  return { n, c, h, w, kh, kw, strideH, strideW, padTop, padBottom, padLeft, padRight, oh, ow, exclusive: opts.exclusive ?? true };
}

export function maxPool2d(x: Tensor, opts: Pool2dOpOptions): Tensor {
  assertFloat(x, 'maxPool2d');
  const g = pool2dGeometry(x.shape, opts);
  const be = getBackend();
  if (x.channelsLast && be.maxPool2dNhwc) {
    // inference only: channels-last tensors are made off the tape (nn/channels_last.ts)
    const out = Tensor.channelsLast(allocF32(g.n * g.c * g.oh * g.ow), [g.n, g.c, g.oh, g.ow]);
    be.maxPool2dNhwc(g, x.channelsLastValues(), out.channelsLastValues());
    return out;
  }
  const out = emptyLike([g.n, g.c, g.oh, g.ow]);
  const argmax = allocIndexScratch(out.size);
  be.maxPool2dForward(g, x.values, out.values, argmax.indices);
  traceOp('max_pool2d', [x], out, { ...g, ceilMode: opts.ceilMode ?? false });
  if (!needsGrad(x)) {
    argmax.release();
    return out;
  }
  return record(out, 'max_pool2d', [x], (gy) => {
    const gx = emptyLike(x.shape);
    be.maxPool2dBackward(g, gy.values, argmax.indices, gx.values);
    argmax.release();
    return [gx];
  });
}

function avgPoolWith(x: Tensor, g: Pool2dGeometry, op: string, ceilMode = false): Tensor {
  const be = getBackend();
  if (x.channelsLast && be.avgPool2dNhwc) {
    const shape = [g.n, g.c, g.oh, g.ow];
    const buf = allocF32(g.n * g.c * g.oh * g.ow);
    be.avgPool2dNhwc(g, x.channelsLastValues(), buf);
    // a 1x1 map is laid out the same either way
    return g.oh * g.ow === 1 ? new Tensor(buf, shape) : Tensor.channelsLast(buf, shape);
  }
  const out = emptyLike([g.n, g.c, g.oh, g.ow]);
  be.avgPool2dForward(g, x.values, out.values);
  traceOp(op, [x], out, { ...g, ceilMode });
  return record(out, op, [x], (gy) => {
    const gx = emptyLike(x.shape);
    be.avgPool2dBackward(g, gy.values, gx.values);
    return [gx];
  });
}

export function avgPool2d(x: Tensor, opts: AvgPool2dOpOptions): Tensor {
  assertFloat(x, 'avgPool2d');
  return avgPoolWith(x, pool2dGeometry(x.shape, opts), 'avg_pool2d', opts.ceilMode ?? false);
}

/** Average over each whole plane: [N, C, H, W] -> [N, C, 1, 1]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  assertFloat(x, 'globalAvgPool2d');
  if (x.ndim !== 4) throw new RangeError('globalAvgPool2d: input must be 4-D (NCHW)');
  return avgPoolWith(x, pool2dGeometry(x.shape, { kernel: [x.shape[2]!, x.shape[3]!] }), 'global_avg_pool2d');
}

/** Row i of the [out, size] averaging matrix covers [floor(i*size/out), ceil((i+1)*size/out)). */
function adaptiveBins(size: number, out: number): [number, number][] {
  const bins: [number, number][] = [];
  for (let i = 0; i < out; i++) bins.push([Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)]);
  return bins;
}

/**
 * Adaptive average pooling to [oh, ow]. When the bins tile the input evenly this is an ordinary
 * average pool; otherwise it is the linear map y[nc] = x[nc] @ P^T with P the [oh*ow, h*w]
 * averaging matrix (one GEMM forward, one backward).
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number, number]): Tensor {
  assertFloat(x, 'adaptiveAvgPool2d');
  if (x.ndim !== 4) throw new RangeError('adaptiveAvgPool2d: input must be 4-D (NCHW)');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [oh, ow] = pair(outputSize, 'output size');
  if (h % oh === 0 && w % ow === 0) {
    const kh = h / oh;
    const kw = w / ow;
    return avgPoolWith(x, pool2dGeometry(x.shape, { kernel: [kh, kw], stride: [kh, kw] }), 'adaptive_avg_pool2d');
  }
  const hw = h * w;
  const ohw = oh * ow;
  const p = allocF32(ohw * hw);
  p.fill(0);
  const rows = adaptiveBins(h, oh);
  const cols = adaptiveBins(w, ow);
  for (let i = 0; i < oh; i++) {
    const [y0, y1] = rows[i]!;
    for (let j = 0; j < ow; j++) {
      const [x0, x1] = cols[j]!;
      const inv = 1 / ((y1 - y0) * (x1 - x0));
      const r = (i * ow + j) * hw;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) p[r + yy * w + xx] = inv;
    }
  }
  const be = getBackend();
  const out = emptyLike([n, c, oh, ow]);
  be.gemm(false, true, n * c, ohw, hw, 1, x.values, hw, p, hw, 0, out.values, ohw);
  traceOp('adaptive_avg_pool2d_uneven', [x], out, { oh, ow });
  if (!needsGrad(x)) {
    releaseF32(p);
    return out;
  }
  return record(out, 'adaptive_avg_pool2d', [x], (gy) => {
    const gx = emptyLike(x.shape);
    be.gemm(false, false, n * c, hw, ohw, 1, gy.values, ohw, p, hw, 0, gx.values, hw);
    releaseF32(p);
    return [gx];
  });
}
