// Reference pooling with Paddle's semantics: max ignores padding; average divides by the valid
// (unpadded) cells when exclusive, by the full kh*kw window otherwise (Paddle's pool_size, even
// where a ceil-mode window hangs past the padded border).
import type { Pool2dGeometry } from '../backend.js';

function forEachWindow(g: Pool2dGeometry, fn: (plane: number, o: number, y0: number, y1: number, x0: number, x1: number, full: number) => void): void {
  const full = g.kh * g.kw;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    for (let oy = 0; oy < g.oh; oy++) {
      const ys = oy * g.strideH - g.padTop;
      const ye = ys + g.kh;
      for (let ox = 0; ox < g.ow; ox++) {
        const xs = ox * g.strideW - g.padLeft;
        const xe = xs + g.kw;
        fn(plane, (plane * g.oh + oy) * g.ow + ox, Math.max(ys, 0), Math.min(ye, g.h), Math.max(xs, 0), Math.min(xe, g.w), full);
      }
    }
  }
}

export function maxPool2dForwardRef(g: Pool2dGeometry, x: Float32Array, y: Float32Array, argmax: Int32Array): void {
  const hw = g.h * g.w;
  forEachWindow(g, (plane, o, y0, y1, x0, x1) => {
    let best = -Infinity;
    let bi = -1;
    for (let iy = y0; iy < y1; iy++) {
      for (let ix = x0; ix < x1; ix++) {
        const v = x[plane * hw + iy * g.w + ix]!;
        if (v > best || bi < 0) {
          best = v;
          bi = iy * g.w + ix;
        }
      }
    }
    y[o] = bi < 0 ? 0 : best;
    argmax[o] = bi;
  });
}

export function maxPool2dBackwardRef(g: Pool2dGeometry, dy: Float32Array, argmax: Int32Array, dx: Float32Array): void {
  dx.fill(0);
  const hw = g.h * g.w;
  const ohw = g.oh * g.ow;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    for (let i = 0; i < ohw; i++) {
      const a = argmax[plane * ohw + i]!;
      if (a >= 0) dx[plane * hw + a] = dx[plane * hw + a]! + dy[plane * ohw + i]!;
    }
  }
}

export function avgPool2dForwardRef(g: Pool2dGeometry, x: Float32Array, y: Float32Array): void {
  const hw = g.h * g.w;
  forEachWindow(g, (plane, o, y0, y1, x0, x1, full) => {
    let s = 0;
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += x[plane * hw + iy * g.w + ix]!;
    const cnt = g.exclusive ? (y1 - y0) * (x1 - x0) : full;
    y[o] = cnt > 0 ? s / cnt : 0;
  });
}

export function avgPool2dBackwardRef(g: Pool2dGeometry, dy: Float32Array, dx: Float32Array): void {
  dx.fill(0);
  const hw = g.h * g.w;
  forEachWindow(g, (plane, o, y0, y1, x0, x1, full) => {
    const cnt = g.exclusive ? (y1 - y0) * (x1 - x0) : full;
    if (cnt <= 0) return;
    const v = dy[o]! / cnt;
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) dx[plane * hw + iy * g.w + ix] = dx[plane * hw + iy * g.w + ix]! + v;
  });
}
