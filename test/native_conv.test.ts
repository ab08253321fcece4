// Convolution kernels of every backend against a direct float64 convolution, over the geometry
// variants the native code has separate paths for (1x1 direct GEMM, image chunking, im2col
// with stride/padding/dilation, groups, depthwise with and without a channel multiplier).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Conv2dGeometry, ConvActivation } from '../src/backend/backend.js';
import { backendsUnderTest } from './helpers/backends.js';
import { randomArray, relError } from './helpers/random.js';

interface Case {
  name: string;
  n: number; c: number; h: number; w: number; k: number; kh: number; kw: number;
  stride?: [number, number]; pad?: [number, number, number, number]; dil?: [number, number]; groups?: number;
}

function geometry(c: Case): Conv2dGeometry {
  const [sh, sw] = c.stride ?? [1, 1];
  const [pt, pb, pl, pr] = c.pad ?? [0, 0, 0, 0];
  const [dh, dw] = c.dil ?? [1, 1];
  const oh = Math.floor((c.h + pt + pb - dh * (c.kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((c.w + pl + pr - dw * (c.kw - 1) - 1) / sw) + 1;
  return {
    n: c.n, c: c.c, h: c.h, w: c.w, k: c.k, kh: c.kh, kw: c.kw, strideH: sh, strideW: sw,
    padTop: pt, padBottom: pb, padLeft: pl, padRight: pr, dilationH: dh, dilationW: dw, groups: c.groups ?? 1, oh, ow,
  };
}

/** Calls fn(n, k, oy, ox, ci(absolute), ky, kx, xIndex) for every in-image tap. */
function forEachTap(g: Conv2dGeometry, fn: (yi: number, xi: number, wi: number, k: number) => void): void {
  const cg = g.c / g.groups;
  const kg = g.k / g.groups;
  for (let n = 0; n < g.n; n++) for (let k = 0; k < g.k; k++) {
    const gi = Math.floor(k / kg);
    for (let oy = 0; oy < g.oh; oy++) for (let ox = 0; ox < g.ow; ox++) {
      const yi = ((n * g.k + k) * g.oh + oy) * g.ow + ox;
      for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < g.kh; ky++) for (let kx = 0; kx < g.kw; kx++) {
        const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
        const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
        const xi = ((n * g.c + gi * cg + ci) * g.h + iy) * g.w + ix;
        const wi = ((k * cg + ci) * g.kh + ky) * g.kw + kx;
        fn(yi, xi, wi, k);
      }
    }
  }
}

function oracle(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, dy: Float32Array) {
  const y = new Float64Array(g.n * g.k * g.oh * g.ow);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(g.k);
  forEachTap(g, (yi, xi, wi) => {
    y[yi] = y[yi]! + x[xi]! * w[wi]!;
    dx[xi] = dx[xi]! + dy[yi]! * w[wi]!;
    dw[wi] = dw[wi]! + dy[yi]! * x[xi]!;
  });
  const ohw = g.oh * g.ow;
  for (let i = 0; i < y.length; i++) {
    const k = Math.floor(i / ohw) % g.k;
    if (bias) y[i] = y[i]! + bias[k]!;
    db[k] = db[k]! + dy[i]!;
  }
  return { y, dx, dw, db };
}

const cases: Case[] = [
  { name: '1x1 pointwise batch 1', n: 1, c: 8, h: 5, w: 7, k: 6, kh: 1, kw: 1 },
  { name: '1x1 pointwise batch 3 (chunked)', n: 3, c: 16, h: 4, w: 3, k: 12, kh: 1, kw: 1 },
  { name: '1x1 pointwise large map', n: 2, c: 5, h: 60, w: 57, k: 7, kh: 1, kw: 1 },
  { name: '1x1 stride 2 (projection)', n: 2, c: 8, h: 9, w: 8, k: 10, kh: 1, kw: 1, stride: [2, 2] },
  // Whole 12x32 (AVX-512) and 6x16 register tiles within one image, some edge tiles too.
  { name: '3x3 pad 1 full register tiles', n: 1, c: 6, h: 20, w: 21, k: 26, kh: 3, kw: 3, pad: [1, 1, 1, 1] },
  { name: '3x3 pad 1', n: 2, c: 4, h: 9, w: 11, k: 5, kh: 3, kw: 3, pad: [1, 1, 1, 1] },
  { name: '3x3 stride 2 pad 1 odd', n: 3, c: 3, h: 13, w: 9, k: 4, kh: 3, kw: 3, stride: [2, 2], pad: [1, 1, 1, 1] },
  { name: '7x7 stride 2 pad 3 (stem)', n: 2, c: 3, h: 19, w: 17, k: 8, kh: 7, kw: 7, stride: [2, 2], pad: [3, 3, 3, 3] },
  { name: 'asymmetric padding', n: 2, c: 3, h: 8, w: 10, k: 4, kh: 3, kw: 2, pad: [0, 2, 1, 0] },
  { name: 'asymmetric stride', n: 1, c: 2, h: 11, w: 12, k: 3, kh: 3, kw: 3, stride: [1, 3], pad: [1, 0, 2, 1] },
  { name: 'dilation 2', n: 2, c: 3, h: 12, w: 12, k: 4, kh: 3, kw: 3, pad: [2, 2, 2, 2], dil: [2, 2] },
  { name: 'dilation + stride', n: 1, c: 2, h: 15, w: 13, k: 3, kh: 3, kw: 3, stride: [2, 2], pad: [2, 2, 2, 2], dil: [2, 3] },
  { name: 'kernel larger than padded rows skipped', n: 1, c: 2, h: 3, w: 3, k: 2, kh: 3, kw: 3, pad: [2, 2, 2, 2] },
  { name: 'groups 2', n: 2, c: 6, h: 7, w: 7, k: 4, kh: 3, kw: 3, pad: [1, 1, 1, 1], groups: 2 },
  { name: 'groups 4 (ResNeXt-like) stride 2', n: 2, c: 8, h: 8, w: 8, k: 8, kh: 3, kw: 3, stride: [2, 2], pad: [1, 1, 1, 1], groups: 4 },
  { name: 'grouped 1x1', n: 3, c: 6, h: 4, w: 5, k: 9, kh: 1, kw: 1, groups: 3 },
  { name: 'depthwise 3x3', n: 2, c: 5, h: 9, w: 10, k: 5, kh: 3, kw: 3, pad: [1, 1, 1, 1], groups: 5 },
  { name: 'depthwise 3x3 stride 2', n: 2, c: 4, h: 11, w: 9, k: 4, kh: 3, kw: 3, stride: [2, 2], pad: [1, 1, 1, 1], groups: 4 },
  { name: 'depthwise 5x5 asymmetric pad', n: 1, c: 3, h: 12, w: 13, k: 3, kh: 5, kw: 5, pad: [1, 3, 2, 2], groups: 3 },
  { name: 'depthwise multiplier 2 dilated', n: 2, c: 3, h: 10, w: 10, k: 6, kh: 3, kw: 3, pad: [2, 2, 2, 2], dil: [2, 2], groups: 3 },
  { name: 'depthwise wide rows (vector body)', n: 1, c: 2, h: 6, w: 45, k: 2, kh: 3, kw: 3, pad: [1, 1, 1, 1], groups: 2 },
  // The forward's stride-phase-split rows: odd widths leave a partial vector; stride 2 with a 7x7
  // kernel reads three column phases; a 1x1 map is all border.
  { name: 'depthwise 7x7 stride 2 odd width', n: 2, c: 3, h: 13, w: 19, k: 3, kh: 7, kw: 7, stride: [2, 2], pad: [3, 3, 3, 3], groups: 3 },
  { name: 'depthwise 3x3 stride 2 multiplier 3', n: 1, c: 2, h: 14, w: 14, k: 6, kh: 3, kw: 3, stride: [2, 2], pad: [1, 1, 1, 1], groups: 2 },
  { name: 'depthwise 3x3 on 1x1 maps', n: 3, c: 4, h: 1, w: 1, k: 4, kh: 3, kw: 3, pad: [1, 1, 1, 1], groups: 4 },
  { name: 'depthwise 3x3 stride 3 unpadded', n: 1, c: 2, h: 11, w: 25, k: 2, kh: 3, kw: 3, stride: [3, 3], groups: 2 },
  // Depth c*kh*kw = 360 spans two GEMM k-blocks (the epilogue must run after the last only);
  // k = 70 leaves a partial register tile of rows.
  { name: 'deep 3x3 two k-blocks, partial row tile', n: 3, c: 40, h: 6, w: 5, k: 70, kh: 3, kw: 3, pad: [1, 1, 1, 1] },
  // Large batch of tiny maps (the late layers of a 28x28 ResNet at batch 128): many images per tile.
  { name: 'batch 20 of 2x2 maps', n: 20, c: 24, h: 2, w: 2, k: 40, kh: 3, kw: 3, pad: [1, 1, 1, 1] },
  { name: 'batch 9 of 1x1 maps', n: 9, c: 16, h: 1, w: 1, k: 20, kh: 3, kw: 3, pad: [1, 1, 1, 1] },
  // Depth n*oh*ow = 624 spans several k-blocks of the weight-gradient GEMM (split over threads).
  { name: 'batch 4 of 12x13, long weight-gradient depth', n: 4, c: 6, h: 12, w: 13, k: 7, kh: 3, kw: 3, pad: [1, 1, 1, 1] },
  // c*kh*kw = 4140 taps: more than one column block of the weight gradient, many k-blocks forward.
  { name: 'very deep 3x3 on 2x2 maps', n: 2, c: 460, h: 2, w: 2, k: 3, kh: 3, kw: 3, pad: [1, 1, 1, 1] },
  // k = 150 output channels: more than one row block (MC) of the GEMMs.
  { name: 'wide 3x3 (150 channels)', n: 2, c: 2, h: 3, w: 3, k: 150, kh: 3, kw: 3, pad: [1, 1, 1, 1] },
  { name: 'batch 6 of 7x7 stride 2 asymmetric', n: 6, c: 10, h: 7, w: 7, k: 19, kh: 3, kw: 3, stride: [2, 2], pad: [1, 0, 0, 1] },
];

for (const be of backendsUnderTest()) {
  for (const c of cases) {
    for (const withBias of [true, false]) {
      test(`${be.name} conv ${c.name}${withBias ? ' +bias' : ''}`, () => {
        const g = geometry(c);
        const x = randomArray(g.n * g.c * g.h * g.w, 11);
        const w = randomArray(g.k * (g.c / g.groups) * g.kh * g.kw, 12);
        const bias = withBias ? randomArray(g.k, 13) : null;
        const dy = randomArray(g.n * g.k * g.oh * g.ow, 14);
        const want = oracle(g, x, w, bias, dy);

        const y = new Float32Array(want.y.length).fill(Number.NaN);
        be.conv2dForward(g, x, w, bias, y);
        assert.ok(relError(y, want.y) < 1e-4, `forward rel error ${relError(y, want.y)}`);

        const dx = new Float32Array(x.length).fill(Number.NaN);
        be.conv2dBackwardData(g, dy, w, dx);
        assert.ok(relError(dx, want.dx) < 1e-4, `backward-data rel error ${relError(dx, want.dx)}`);

        const dw = new Float32Array(w.length).fill(Number.NaN);
        const db = withBias ? new Float32Array(g.k).fill(Number.NaN) : null;
        be.conv2dBackwardWeight(g, x, dy, dw, db);
        assert.ok(relError(dw, want.dw) < 1e-4, `backward-weight rel error ${relError(dw, want.dw)}`);
        if (db) assert.ok(relError(db, want.db) < 1e-4, `bias grad rel error ${relError(db, want.db)}`);
      });
    }
  }
}

const activations: ConvActivation[] = ['none', 'relu', 'relu6', 'leaky_relu'];

function activate(v: number, act: ConvActivation, alpha: number): number {
  if (act === 'relu') return Math.max(v, 0);
  if (act === 'relu6') return Math.min(Math.max(v, 0), 6);
  if (act === 'leaky_relu') return v > 0 ? v : alpha * v;
  return v;
}

// The inference fast path: weights packed once, bias and activation fused into the output.
for (const be of backendsUnderTest()) {
  if (!be.conv2dPackWeights || !be.conv2dForwardPacked) continue;
  for (const c of cases) {
    test(`${be.name} packed conv ${c.name}, every activation`, () => {
      const g = geometry(c);
      const x = randomArray(g.n * g.c * g.h * g.w, 21);
      const w = randomArray(g.k * (g.c / g.groups) * g.kh * g.kw, 22);
      // Spread the outputs across relu6's upper knee too.
      for (let i = 0; i < w.length; i++) w[i] = w[i]! * 4;
      const bias = randomArray(g.k, 23);
      const dy = new Float32Array(g.n * g.k * g.oh * g.ow);
      const packed = be.conv2dPackWeights!(g, w);
      for (const withBias of [true, false]) {
        const plain = oracle(g, x, w, withBias ? bias : null, dy).y;
        for (const act of activations) {
          const want = plain.map((v) => activate(v, act, 0.1));
          const y = new Float32Array(want.length).fill(Number.NaN);
          be.conv2dForwardPacked!(g, x, packed, withBias ? bias : null, y, act, 0.1);
          const err = relError(y, want);
          assert.ok(err < 1e-4, `${act}${withBias ? ' +bias' : ''}: rel error ${err}`);
        }
      }
      // One packing serves any batch size and image size with the same weights.
      const g2 = geometry({ ...c, n: c.n + 1, h: c.h + 2 });
      const x2 = randomArray(g2.n * g2.c * g2.h * g2.w, 24);
      const want2 = oracle(g2, x2, w, bias, new Float32Array(g2.n * g2.k * g2.oh * g2.ow)).y.map((v) => activate(v, 'relu', 0));
      const y2 = new Float32Array(want2.length).fill(Number.NaN);
      be.conv2dForwardPacked!(g2, x2, packed, bias, y2, 'relu', 0);
      assert.ok(relError(y2, want2) < 1e-4, `repacked geometry rel error ${relError(y2, want2)}`);
    });
  }
}

test('packed conv weights fail loudly on another shape or backend', () => {
  const bes = backendsUnderTest();
  const g = geometry({ name: 'a', n: 1, c: 4, h: 5, w: 5, k: 6, kh: 3, kw: 3 });
  const other = geometry({ name: 'b', n: 1, c: 4, h: 5, w: 5, k: 8, kh: 3, kw: 3 });
  for (const be of bes) {
    if (!be.conv2dPackWeights || !be.conv2dForwardPacked) continue;
    const packed = be.conv2dPackWeights(g, randomArray(6 * 4 * 9, 1));
    const x = randomArray(4 * 25, 2);
    assert.throws(() => be.conv2dForwardPacked!(other, x, packed, null, new Float32Array(8 * 9), 'none', 0), RangeError);
    for (const peer of bes) {
      if (peer !== be && peer.name !== be.name && peer.conv2dForwardPacked) {
        assert.throws(() => peer.conv2dForwardPacked!(g, x, packed, null, new Float32Array(6 * 9), 'none', 0), TypeError);
      }
    }
  }
});

test('native conv rejects buffers that are too small', () => {
  const native = backendsUnderTest().find((b) => b.name === 'native');
  if (!native) return;
  const g = geometry({ name: 'small', n: 1, c: 2, h: 4, w: 4, k: 2, kh: 3, kw: 3 });
  assert.throws(() => native.conv2dForward(g, new Float32Array(3), new Float32Array(36), null, new Float32Array(8)), RangeError);
});
