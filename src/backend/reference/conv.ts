// Reference convolution: im2col + GEMM per image and group. Obviously right, not fast.
import type { Conv2dGeometry } from '../backend.js';
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
