// 2-D convolution, NCHW input and Paddle's OIHW weights (I = C / groups), through the backend's
// conv kernels for forward, data gradient and weight/bias gradient.
import type { Conv2dGeometry } from '../../backend/backend.js';
import { getBackend } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import { allocF32, releaseF32 } from '../buffer_pool.js';
import type { Tensor } from '../tensor.js';
import { traceOp } from '../trace.js';
import { cutWeights, liveTaps, spreadWeightGrad } from './conv_taps.js';
import { assertFloat, emptyLike, pair, padding4 } from './util.js';

export interface Conv2dOpOptions {
  stride?: number | [number, number];
  /** number, [h, w] or [top, bottom, left, right] */
  padding?: number | [number, number] | [number, number, number, number];
  dilation?: number | [number, number];
  groups?: number;
}

/** floor((size + padBefore + padAfter - dilation*(k-1) - 1) / stride) + 1 */
export function convOutputSize(size: number, k: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;
}

/** The kernel geometry of conv2d(x, w) for input shape [n, c, h, w] and weight shape [k, c/groups, kh, kw]. */
export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[], opts: Conv2dOpOptions = {}): Conv2dGeometry {
  if (xShape.length !== 4 || wShape.length !== 4) throw new RangeError('conv2d: input and weight must be 4-D (NCHW, OIHW)');
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [k, cg, kh, kw] = wShape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  const [strideH, strideW] = pair(opts.stride ?? 1, 'stride');
  const [padTop, padBottom, padLeft, padRight] = padding4(opts.padding ?? 0);
  const [dilationH, dilationW] = pair(opts.dilation ?? 1, 'dilation');
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || k % groups !== 0) {
    throw new RangeError(`conv2d: groups ${groups} must divide input channels ${c} and output channels ${k}`);
  }
  if (cg !== c / groups) throw new RangeError(`conv2d: weight expects ${cg * groups} input channels (groups ${groups}), input has ${c}`);
  if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1) throw new RangeError('conv2d: stride and dilation must be >= 1');
  const oh = convOutputSize(h, kh, strideH, padTop, padBottom, dilationH);
  const ow = convOutputSize(w, kw, strideW, padLeft, padRight, dilationW);
  if (oh < 1 || ow < 1) throw new RangeError(`conv2d: output would be ${oh}x${ow} for input ${h}x${w}`);
  return { n, c, h, w, k, kh, kw, strideH, strideW, padTop, padBottom, padLeft, padRight, dilationH, dilationW, groups, oh, ow };
}

export function conv2d(x: Tensor, w: Tensor, bias: Tensor | null, opts: Conv2dOpOptions = {}): Tensor {
  assertFloat(x, 'conv2d');
  assertFloat(w, 'conv2d');
  const g = conv2dGeometry(x.shape, w.shape, opts);
  if (bias && bias.size !== g.k) throw new RangeError(`conv2d: bias has ${bias.size} elements, expected ${g.k}`);
  const be = getBackend();
  const out = emptyLike([g.n, g.k, g.oh, g.ow]);
  // The kernels run the convolution over the live taps only (conv_taps.ts); g stays the op's
  // geometry for tracing and gradients' shapes.
  const taps = liveTaps(g);
  const kg = taps ? taps.geometry : g;
  let wk = w.values;
  if (taps) {
    wk = allocF32(kg.k * (kg.c / kg.groups) * kg.kh * kg.kw);
    cutWeights(g, taps, w.values, wk);
  }
  be.conv2dForward(kg, x.values, wk, bias ? bias.values : null, out.values);
  const inputs = bias ? [x, w, bias] : [x, w];
  traceOp('conv2d', inputs, out, { ...g });
  if (!needsGrad(...inputs)) {
    if (taps) releaseF32(wk);
    return out;
  }
  return record(out, 'conv2d', inputs, (gy) => {
    let gx: Tensor | null = null;
    if (x.requiresGrad) {
      gx = emptyLike(x.shape);
      be.conv2dBackwardData(kg, gy.values, wk, gx.values);
    }
    let gw: Tensor | null = null;
    let gb: Tensor | null = null;
    const wantBias = bias !== null && bias.requiresGrad;
    if (w.requiresGrad || wantBias) {
      gw = emptyLike(w.shape);
      gb = wantBias ? emptyLike(bias.shape) : null;
      if (taps) {
        // wk (the cut weights) has exactly the live taps' gradient size: reuse it.
        be.conv2dBackwardWeight(kg, x.values, gy.values, wk, gb ? gb.values : null);
        spreadWeightGrad(g, taps, wk, gw.values);
      } else {
        be.conv2dBackwardWeight(g, x.values, gy.values, gw.values, gb ? gb.values : null);
      }
      if (!w.requiresGrad) {
        gw.free();
        gw = null;
      }
    }
    if (taps) releaseF32(wk);
    return bias ? [gx, gw, gb] : [gx, gw];
  });
}
