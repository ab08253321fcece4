// Reference convolution: im2col + GEMM per image and group. Obviously right, not fast.
import type { Conv2dGeometry, ConvActivation, PackedConvWeights } from '../backend.js';
import { gemmRef } from './gemm.js';

/** cols[(ci*kh + ky)*kw + kx][oy*ow + ox] = x[c0 + ci][iy][ix] (0 outside the image). */
function im2col(g: Conv2dGeometry, x: Float32Array, xOff: number, c0: number, cg: number, cols: Float32Array): void {
  const { h, w, kh, kw, oh, ow } = g;
  const ohw = oh * ow;
  for (let ci = 0; ci < cg; ci++) {
    const plane = xOff + (c0 + ci) * h * w;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const row = ((ci * kh + ky) * kw + kx) * ohw;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
            cols[row + oy * ow + ox] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[plane + iy * w + ix]! : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: accumulates cols back into dx. */
function col2im(g: Conv2dGeometry, cols: Float32Array, dx: Float32Array, xOff: number, c0: number, cg: number): void {
  const { h, w, kh, kw, oh, ow } = g;
  const ohw = oh * ow;
  for (let ci = 0; ci < cg; ci++) {
    const plane = xOff + (c0 + ci) * h * w;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const row = ((ci * kh + ky) * kw + kx) * ohw;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
            if (ix >= 0 && ix < w) dx[plane + iy * w + ix] = dx[plane + iy * w + ix]! + cols[row + oy * ow + ox]!;
          }
        }
      }
    }
  }
}

function dims(g: Conv2dGeometry): { cg: number; kg: number; kk: number; ohw: number } {
  const cg = g.c / g.groups;
  return { cg, kg: g.k / g.groups, kk: cg * g.kh * g.kw, ohw: g.oh * g.ow };
}

export function conv2dForwardRef(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void {
  const { cg, kg, kk, ohw } = dims(g);
  const cols = new Float32Array(kk * ohw);
  for (let n = 0; n < g.n; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      im2col(g, x, n * g.c * g.h * g.w, gi * cg, cg, cols);
      const yOff = (n * g.k + gi * kg) * ohw;
      gemmRef(false, false, kg, ohw, kk, 1, w.subarray(gi * kg * kk), kk, cols, ohw, 0, y.subarray(yOff), ohw);
    }
    if (bias) {
      for (let k = 0; k < g.k; k++) {
        const o = (n * g.k + k) * ohw;
        for (let i = 0; i < ohw; i++) y[o + i] = y[o + i]! + bias[k]!;
      }
    }
  }
}

export function conv2dBackwardDataRef(g: Conv2dGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
  const { cg, kg, kk, ohw } = dims(g);
  const cols = new Float32Array(kk * ohw);
  dx.fill(0);
  for (let n = 0; n < g.n; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const dyOff = (n * g.k + gi * kg) * ohw;
      gemmRef(true, false, kk, ohw, kg, 1, w.subarray(gi * kg * kk), kk, dy.subarray(dyOff), ohw, 0, cols, ohw);
      col2im(g, cols, dx, n * g.c * g.h * g.w, gi * cg, cg);
    }
  }
}

export function conv2dBackwardWeightRef(g: Conv2dGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null): void {
  const { cg, kg, kk, ohw } = dims(g);
  const cols = new Float32Array(kk * ohw);
  dw.fill(0);
  for (let n = 0; n < g.n; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      im2col(g, x, n * g.c * g.h * g.w, gi * cg, cg, cols);
      const dyOff = (n * g.k + gi * kg) * ohw;
      gemmRef(false, true, kg, kk, ohw, 1, dy.subarray(dyOff), ohw, cols, ohw, 1, dw.subarray(gi * kg * kk), kk);
    }
  }
  if (db) {
    db.fill(0);
    for (let n = 0; n < g.n; n++) {
      for (let k = 0; k < g.k; k++) {
        const o = (n * g.k + k) * ohw;
        let s = 0;
        for (let i = 0; i < ohw; i++) s += dy[o + i]!;
        db[k] = db[k]! + s;
      }
    }
  }
}

/** Throws unless packed was made by `backend` for weights of g's shape. */
export function checkPackedConvWeights(
  g: Conv2dGeometry, packed: PackedConvWeights, backend: 'reference' | 'native', layout: 'nchw' | 'nhwc' = 'nchw',
): void {
  if (packed.backend !== backend) throw new TypeError(`conv2dForwardPacked: weights were packed by the ${packed.backend} backend, not ${backend}`);
  if ((packed.layout ?? 'nchw') !== layout) {
    throw new TypeError(`packed conv weights: packed for the ${packed.layout ?? 'nchw'} forward, used by the ${layout} one`);
  }
  if (packed.k !== g.k || packed.c !== g.c || packed.kh !== g.kh || packed.kw !== g.kw || packed.groups !== g.groups) {
    throw new RangeError(
      `conv2dForwardPacked: weights packed for k=${packed.k} c=${packed.c} ${packed.kh}x${packed.kw} groups=${packed.groups}, ` +
        `used with k=${g.k} c=${g.c} ${g.kh}x${g.kw} groups=${g.groups}`,
    );
  }
}

/** The reference "packing" is a copy: the layout stays OIHW. */
export function conv2dPackWeightsRef(g: Conv2dGeometry, w: Float32Array): PackedConvWeights {
  const size = g.k * (g.c / g.groups) * g.kh * g.kw;
  if (w.length < size) throw new RangeError(`conv2dPackWeights: w has ${w.length} floats, needs ${size}`);
  return { backend: 'reference', k: g.k, c: g.c, kh: g.kh, kw: g.kw, groups: g.groups, data: w.slice(0, size) };
}

/** y = act(x) elementwise (leaky_relu with slope alpha). */
export function applyConvActivation(y: Float32Array, act: ConvActivation, alpha: number): void {
  switch (act) {
    case 'none':
      return;
    case 'relu':
      for (let i = 0; i < y.length; i++) y[i] = Math.max(y[i]!, 0);
      return;
    case 'relu6':
      for (let i = 0; i < y.length; i++) y[i] = Math.min(Math.max(y[i]!, 0), 6);
      return;
    case 'leaky_relu':
      for (let i = 0; i < y.length; i++) y[i] = y[i]! > 0 ? y[i]! : Math.fround(alpha * y[i]!);
      return;
  }
}

export function conv2dForwardPackedRef(
  g: Conv2dGeometry, x: Float32Array, packed: PackedConvWeights, bias: Float32Array | null, y: Float32Array,
  act: ConvActivation, alpha: number, residual: Float32Array | null = null,
): void {
  checkPackedConvWeights(g, packed, 'reference');
  conv2dForwardRef(g, x, packed.data, bias, y);
  const n = g.n * g.k * g.oh * g.ow;
  if (residual !== null) {
    if (residual.length < n) throw new RangeError(`conv2dForwardPacked: residual has ${residual.length} floats, needs ${n}`);
    for (let i = 0; i < n; i++) y[i] = Math.fround(y[i]! + residual[i]!);
  }
  applyConvActivation(y.subarray(0, n), act, alpha);
}
