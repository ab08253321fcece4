// Channels-last (NHWC) inference kernels against the reference backend's NCHW kernels, with
// the layout changes done here in plain JS: dense and depthwise convolutions over the paths
// the native code separates (panel-by-panel vs tile-by-tile, depth cut into ranges, a last
// panel narrower than a vector, tiles spanning rows and images, border pixels, Winograd 4x4 and
// 2x2 with edge tiles and channel tails), every
// activation with bias and residual (also written over the residual in place); pools bit for bit; the layout copies; and whole models,
// channels-last against NCHW.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Conv2dGeometry, ConvActivation, Pool2dGeometry } from '../src/backend/backend.js';
import { getBackend, nativeBackend, referenceBackend } from '../src/backend/index.js';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { createModel } from '../src/models/index.js';
import { setChannelsLastInference } from '../src/nn/index.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectNative } from './helpers/backends.js';
import { fillParityWeights, parityInput } from './helpers/parity_weights.js';
import { randomArray, relError } from './helpers/random.js';

const native = nativeBackend();
const ref = referenceBackend();
if (expectNative()) assert.ok(native?.convNhwcForward, 'the native backend has the channels-last kernels');

function toNhwc(x: Float32Array, n: number, c: number, hw: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) y[(i * hw + p) * c + ch] = x[(i * c + ch) * hw + p]!;
  return y;
}

function toNchw(x: Float32Array, n: number, c: number, hw: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) y[(i * c + ch) * hw + p] = x[(i * hw + p) * c + ch]!;
  return y;
}

interface ConvCase {
  name: string;
  n: number; c: number; h: number; w: number; k: number; kh: number; kw: number;
  stride?: number; pad?: [number, number, number, number]; dil?: [number, number]; depthwise?: boolean;
  /** the native kernels this case is written for (convNhwcAlgorithm), when Winograd is on */
  algo: 'direct' | 'depthwise' | 'winograd_4x4' | 'winograd_2x2';
}

function geometry(c: ConvCase): Conv2dGeometry {
  const s = c.stride ?? 1;
  const [pt, pb, pl, pr] = c.pad ?? [0, 0, 0, 0];
  const [dh, dw] = c.dil ?? [1, 1];
  const oh = Math.floor((c.h + pt + pb - dh * (c.kh - 1) - 1) / s) + 1;
  const ow = Math.floor((c.w + pl + pr - dw * (c.kw - 1) - 1) / s) + 1;
  return {
    n: c.n, c: c.c, h: c.h, w: c.w, k: c.depthwise ? c.c : c.k, kh: c.kh, kw: c.kw, strideH: s, strideW: s,
    padTop: pt, padBottom: pb, padLeft: pl, padRight: pr, dilationH: dh, dilationW: dw, groups: c.depthwise ? c.c : 1, oh, ow,
  };
}

const CASES: ConvCase[] = [
  { name: '1x1, 70 channels (narrow last panel), tiles across images', n: 3, c: 20, h: 5, w: 7, k: 70, kh: 1, kw: 1, algo: 'direct' },
  { name: '3x3 pad 1, 24 channels (partial vector), Winograd 4x4 edge tiles', n: 2, c: 16, h: 9, w: 11, k: 24, kh: 3, kw: 3, pad: [1, 1, 1, 1], algo: 'winograd_4x4' },
  { name: 'Winograd 4x4 unpadded, 20 input channels (lane tail)', n: 2, c: 20, h: 11, w: 10, k: 32, kh: 3, kw: 3, algo: 'winograd_4x4' },
  { name: 'Winograd 4x4 asymmetric padding, blocks across images', n: 3, c: 32, h: 14, w: 14, k: 48, kh: 3, kw: 3, pad: [0, 2, 1, 0], algo: 'winograd_4x4' },
  { name: 'Winograd 2x2 (weights too large for 4x4), odd map, as a whole layer (2 MB of U, few tiles)', n: 2, c: 200, h: 7, w: 7, k: 160, kh: 3, kw: 3, pad: [1, 1, 1, 1], algo: 'winograd_2x2' },
  { name: 'Winograd 4x4 as a whole layer, GEMMs split by plane and panel (partial last panel)', n: 1, c: 128, h: 12, w: 10, k: 136, kh: 3, kw: 3, pad: [1, 1, 1, 1], algo: 'winograd_4x4' },
  { name: '3x3, 8 channels (too narrow for Winograd)', n: 1, c: 8, h: 6, w: 6, k: 64, kh: 3, kw: 3, pad: [1, 1, 1, 1], algo: 'direct' },
  { name: '3x3 stride 2 odd map', n: 1, c: 32, h: 13, w: 13, k: 64, kh: 3, kw: 3, stride: 2, pad: [1, 1, 1, 1], algo: 'direct' },
  { name: '7x7 stride 2 stem on 3 channels', n: 2, c: 3, h: 23, w: 21, k: 64, kh: 7, kw: 7, stride: 2, pad: [3, 3, 3, 3], algo: 'direct' },
  { name: 'dilated columns, asymmetric padding', n: 1, c: 8, h: 12, w: 12, k: 40, kh: 3, kw: 3, pad: [2, 0, 1, 2], dil: [2, 3], algo: 'direct' },
  { name: 'panel by panel (large weights), depth in ranges', n: 1, c: 1100, h: 4, w: 5, k: 130, kh: 1, kw: 1, algo: 'direct' },
  { name: 'panel by panel, 3x3 depth ranges across kernel rows (weights too large for Winograd)', n: 1, c: 600, h: 4, w: 4, k: 256, kh: 3, kw: 3, pad: [1, 1, 1, 1], algo: 'direct' },
  { name: 'depthwise 3x3, 96 channels', n: 2, c: 96, h: 10, w: 11, k: 0, kh: 3, kw: 3, pad: [1, 1, 1, 1], depthwise: true, algo: 'depthwise' },
  { name: 'depthwise 3x3 stride 2, 24 channels', n: 1, c: 24, h: 15, w: 14, k: 0, kh: 3, kw: 3, stride: 2, pad: [1, 1, 1, 1], depthwise: true, algo: 'depthwise' },
  { name: 'depthwise 5x5 dilated, 5 channels (scalar lanes)', n: 1, c: 5, h: 13, w: 16, k: 0, kh: 5, kw: 5, pad: [4, 4, 4, 4], dil: [2, 2], depthwise: true, algo: 'depthwise' },
  { name: 'depthwise 3x3 on a 2x2 map (all border)', n: 2, c: 40, h: 2, w: 2, k: 0, kh: 3, kw: 3, pad: [1, 1, 1, 1], depthwise: true, algo: 'depthwise' },
  // the sliding-window 3x3 kernel: interior runs of 8, 4, 2 and 1 pixels (27 and 12 interior
  // columns), a lane tail (40 = 2 x 16 + 8; 8 x 5 in AVX2), bands of rows across images
  { name: 'depthwise 3x3, 29 wide, 40 channels, 3 images', n: 3, c: 40, h: 9, w: 29, k: 0, kh: 3, kw: 3, pad: [1, 1, 1, 1], depthwise: true, algo: 'depthwise' },
  { name: 'depthwise 3x3, 14 wide, unpadded', n: 1, c: 32, h: 6, w: 14, k: 0, kh: 3, kw: 3, depthwise: true, algo: 'depthwise' },
  { name: 'depthwise 3x3 stride 2, asymmetric padding, even map', n: 2, c: 48, h: 12, w: 20, k: 0, kh: 3, kw: 3, stride: 2, pad: [0, 1, 0, 1], depthwise: true, algo: 'depthwise' },
  // input rows of 66 KB: one output row a band
  { name: 'depthwise 3x3, 1032 channels (bands of one row)', n: 1, c: 1032, h: 5, w: 16, k: 0, kh: 3, kw: 3, pad: [1, 1, 1, 1], depthwise: true, algo: 'depthwise' },
  { name: 'depthwise 3x3 on a 1x3 map', n: 1, c: 20, h: 1, w: 3, k: 0, kh: 3, kw: 3, pad: [1, 1, 1, 1], depthwise: true, algo: 'depthwise' },
  // few rows a thread: (row, block of channels) items, blocks ending in a lane tail (70 channels
  // in blocks of 48 = 3 x 16: 48 + 22), through the general row kernel's pixel and quad paths
  { name: 'depthwise 5x5 on 3 rows, 70 channels in blocks', n: 1, c: 70, h: 3, w: 12, k: 0, kh: 5, kw: 5, pad: [2, 2, 2, 2], depthwise: true, algo: 'depthwise' },
];

const ACTS: ConvActivation[] = ['none', 'relu', 'relu6', 'leaky_relu'];

function activate(v: number, act: ConvActivation): number {
  if (act === 'relu') return Math.max(v, 0);
  if (act === 'relu6') return Math.min(Math.max(v, 0), 6);
  if (act === 'leaky_relu') return v > 0 ? v : 0.1 * v;
  return v;
}

for (const c of CASES) {
  test(`NHWC conv ${c.name}: every activation, with bias and residual, equals the NCHW reference`, { skip: native?.convNhwcForward ? false : 'no native NHWC kernels' }, () => {
    const be = native as Backend;
    const g = geometry(c);
    assert.ok(be.convNhwcSupports!(g));
    const winogradOff = process.env['IMCLS_WINOGRAD'] === '0';
    const algo = c.algo.startsWith('winograd') && winogradOff ? 'direct' : c.algo;
    assert.equal(loadNativeAddon().addon?.['convNhwcAlgorithm']?.(g), algo, 'the path this case is written for');
    const hw = g.h * g.w, ohw = g.oh * g.ow;
    const x = randomArray(g.n * g.c * hw, 1);
    const w = randomArray(g.k * (g.c / g.groups) * g.kh * g.kw, 2).map((v) => v * 3);
    const bias = randomArray(g.k, 3);
    const residual = randomArray(g.n * g.k * ohw, 4);
    const plain = new Float32Array(g.n * g.k * ohw);
    ref.conv2dForward(g, x, w, bias, plain);
    const packed = be.convNhwcPackWeights!(g, w);
    const xn = toNhwc(x, g.n, g.c, hw);
    const rn = toNhwc(residual, g.n, g.k, ohw);
    // F(4x4, 3x3)'s transforms scale rounding errors up (entries to 8 in A, 5 in B): over 128
    // channels, and with the baseline ISA's separate multiply and add, 1.3e-4 of a relu6 output
    const tol = algo === 'winograd_4x4' ? 3e-4 : 1e-4;
    for (const act of ACTS) {
      for (const withResidual of c.depthwise ? [false] : [false, true]) {
        const want = plain.map((v, i) => activate(v + (withResidual ? residual[i]! : 0), act));
        const y = new Float32Array(want.length).fill(Number.NaN);
        be.convNhwcForward!(g, xn, packed, bias, y, act, 0.1, withResidual ? rn : null);
        const err = relError(toNchw(y, g.n, g.k, ohw), want);
        assert.ok(err < tol, `${act}${withResidual ? ' + residual' : ''}: rel error ${err}`);
        if (!withResidual) continue;
        // in place: the output written over the residual's own storage (a dead shortcut)
        const shared = rn.slice();
        be.convNhwcForward!(g, xn, packed, bias, shared, act, 0.1, shared);
        const errInPlace = relError(toNchw(shared, g.n, g.k, ohw), want);
        assert.ok(errInPlace < tol, `${act} + residual in place: rel error ${errInPlace}`);
      }
    }
    // no bias: the epilogue without it
    const y = new Float32Array(plain.length);
    be.convNhwcForward!(g, xn, packed, null, y, 'none', 0);
    const noBias = plain.map((v, i) => v - bias[Math.floor(i / ohw) % g.k]!);
    assert.ok(relError(toNchw(y, g.n, g.k, ohw), noBias) < tol);
  });
}

test('NHWC packed weights refuse the NCHW forward and the reverse', { skip: native?.convNhwcForward ? false : 'no native NHWC kernels' }, () => {
  const be = native as Backend;
  const g = geometry(CASES[1]!);
  const w = randomArray(g.k * g.c * g.kh * g.kw, 5);
  const x = new Float32Array(g.n * g.c * g.h * g.w);
  const y = new Float32Array(g.n * g.k * g.oh * g.ow);
  assert.throws(() => be.conv2dForwardPacked!(g, x, be.convNhwcPackWeights!(g, w), null, y, 'none', 0), /nhwc/);
  assert.throws(() => be.convNhwcForward!(g, x, be.conv2dPackWeights!(g, w), null, y, 'none', 0), /nchw/);
  const grouped = { ...g, groups: 2 };
  assert.equal(be.convNhwcSupports!(grouped), false);
});

function poolGeometry(n: number, c: number, h: number, w: number, k: number, s: number, pad: number, ceil: boolean, exclusive: boolean): Pool2dGeometry {
  const out = (size: number) => Math.trunc((size - k + 2 * pad + (ceil ? s - 1 : 0)) / s) + 1;
  return { n, c, h, w, kh: k, kw: k, strideH: s, strideW: s, padTop: pad, padBottom: pad, padLeft: pad, padRight: pad, oh: out(h), ow: out(w), exclusive };
}

test('NHWC max and average pools give the NCHW kernels\' values bit for bit', { skip: native?.maxPool2dNhwc ? false : 'no native NHWC kernels' }, () => {
  const be = native as Backend;
  const geoms = [
    poolGeometry(2, 37, 11, 9, 3, 2, 1, false, true), // ResNet's stem pool on an odd map
    poolGeometry(1, 64, 7, 7, 2, 2, 0, true, true), // vd shortcut: 2x2 ceil mode, the last window hangs over
    poolGeometry(1, 20, 8, 8, 3, 1, 1, false, false), // inclusive average
    poolGeometry(3, 2048, 7, 7, 7, 1, 0, false, true), // global average
    poolGeometry(2, 100, 5, 5, 5, 1, 0, false, true), // global, the last block of channels partial
  ];
  for (const g of geoms) {
    const hw = g.h * g.w, ohw = g.oh * g.ow;
    const x = randomArray(g.n * g.c * hw, 6);
    x[5] = Number.NaN; // max keeps NaN once it is the running maximum, as the NCHW kernel
    const xn = toNhwc(x, g.n, g.c, hw);
    const wantMax = new Float32Array(g.n * g.c * ohw);
    be.maxPool2dForward(g, x, wantMax, new Int32Array(wantMax.length));
    const gotMax = new Float32Array(wantMax.length);
    be.maxPool2dNhwc!(g, xn, gotMax);
    assert.deepEqual(toNchw(gotMax, g.n, g.c, ohw), wantMax);
    const wantAvg = new Float32Array(wantMax.length);
    be.avgPool2dForward(g, x, wantAvg);
    const gotAvg = new Float32Array(wantAvg.length);
    be.avgPool2dNhwc!(g, xn, gotAvg);
    assert.deepEqual(toNchw(gotAvg, g.n, g.c, ohw), wantAvg);
  }
});

test('layout copies transpose each image and invert each other', { skip: native?.nchwToNhwc ? false : 'no native NHWC kernels' }, () => {
  const be = native as Backend;
  // blocked; RGB (the few-rows path, threaded with chunks across images); one channel; one pixel
  for (const [n, c, hw] of [[3, 37, 45], [3, 3, 9001], [2, 3, 7], [2, 1, 50], [2, 5, 1]] as const) {
    const x = randomArray(n * c * hw, 7);
    const y = new Float32Array(x.length);
    be.nchwToNhwc!(n, c, hw, x, y);
    assert.deepEqual(y, toNhwc(x, n, c, hw), `to NHWC ${n}x${c}x${hw}`);
    const back = new Float32Array(x.length);
    be.nhwcToNchw!(n, c, hw, y, back);
    assert.deepEqual(back, x, `back to NCHW ${n}x${c}x${hw}`);
  }
});

test('a channels-last tensor reads back as NCHW through every accessor', { skip: native?.nhwcToNchw ? false : 'no native NHWC kernels' }, () => {
  const [n, c, h, w] = [2, 3, 4, 5];
  const x = randomArray(n * c * h * w, 8);
  const t = Tensor.channelsLast(toNhwc(x, n, c, h * w), [n, c, h, w]);
  assert.ok(t.channelsLast);
  assert.deepEqual(t.peekValues(), x);
  assert.equal(t.channelsLast, false);
  const u = Tensor.channelsLast(toNhwc(x, n, c, h * w), [n, c, h, w]);
  assert.deepEqual(u.dataSync(), x);
  assert.deepEqual(Tensor.channelsLast(toNhwc(x, n, c, h * w), [n, c, h, w]).detach().values, x);
  assert.throws(() => Tensor.channelsLast(new Float32Array(6), [2, 3]), RangeError);
});

// MobileNetV2's inverted residual in one call against its three convs called one by one: the
// band loop (several bands a thread, the rows two bands share carried over, bands of a single
// row when one expanded row outgrows the band budget), thread shares across images, stride 2,
// channel tails, the shortcut; and maps of few rows a thread, whose expanded channels the threads
// split instead (partial projections summed by the last thread to finish, the project's
// activation after the sum).
// split: how 2 threads share the unit.
interface UnitCase { name: string; n: number; c: number; m: number; k: number; h: number; w: number; stride: number; shortcut: boolean; split: 'rows' | 'channels'; act?: 'relu6' }
const UNITS: UnitCase[] = [
  { name: 'stride 1 with the shortcut, 3-row bands', n: 1, c: 24, m: 200, k: 24, h: 17, w: 60, stride: 1, shortcut: true, split: 'rows' },
  { name: 'stride 2, odd map, channel tails', n: 1, c: 20, m: 40, k: 20, h: 23, w: 19, stride: 2, shortcut: false, split: 'rows' },
  { name: 'two images split between threads mid-image', n: 2, c: 16, m: 96, k: 24, h: 13, w: 30, stride: 1, shortcut: false, split: 'rows' },
  { name: 'bands of one row (an expanded row of 272 KB), stride 2', n: 2, c: 32, m: 1700, k: 40, h: 7, w: 40, stride: 2, shortcut: false, split: 'rows' },
  { name: 'channels split, 7x7 with the shortcut, a 40-channel last panel', n: 1, c: 24, m: 360, k: 24, h: 7, w: 7, stride: 1, shortcut: true, split: 'channels' },
  // 6 output rows, the middle image's 2 shared by the threads (its expanded row 1 by both)
  { name: 'channels split, three images of 2 rows, stride 2, relu6 after the sum', n: 3, c: 16, m: 256, k: 36, h: 4, w: 6, stride: 2, shortcut: false, act: 'relu6', split: 'channels' },
  // no halo (a whole image a thread) and 3 panels of 64 go 2 and 1: rows
  { name: 'a 3-panel unit whose rows split evenly', n: 2, c: 16, m: 192, k: 24, h: 5, w: 6, stride: 1, shortcut: false, split: 'rows' },
];

for (const u of UNITS) {
  test(`inverted residual unit in one call, ${u.name}: equals its three convs`, { skip: native?.invertedResidualNhwc ? false : 'no fused inverted residual' }, () => {
    const be = native as Backend;
    const oh = Math.floor((u.h - 1) / u.stride) + 1, ow = Math.floor((u.w - 1) / u.stride) + 1;
    const geom = (c: ConvCase): Conv2dGeometry => geometry(c);
    const ge = geom({ name: 'expand', n: u.n, c: u.c, h: u.h, w: u.w, k: u.m, kh: 1, kw: 1, algo: 'direct' });
    const gd = geom({ name: 'dw', n: u.n, c: u.m, h: u.h, w: u.w, k: 0, kh: 3, kw: 3, stride: u.stride, pad: [1, 1, 1, 1], depthwise: true, algo: 'depthwise' });
    const gp = geom({ name: 'project', n: u.n, c: u.m, h: oh, w: ow, k: u.k, kh: 1, kw: 1, algo: 'direct' });
    const step = (g: Conv2dGeometry, seed: number, act: 'none' | 'relu6') => ({
      g, act, bias: randomArray(g.k, seed + 1), packed: be.convNhwcPackWeights!(g, randomArray(g.k * (g.c / g.groups) * g.kh * g.kw, seed).map((v) => v * 2)),
    });
    const e = step(ge, 10, 'relu6'), d = step(gd, 20, 'relu6'), p = step(gp, 30, u.act ?? 'none');
    const x = randomArray(u.n * u.h * u.w * u.c, 5);
    const mid = new Float32Array(u.n * u.h * u.w * u.m), dw = new Float32Array(u.n * oh * ow * u.m);
    const want = new Float32Array(u.n * oh * ow * u.k);
    be.convNhwcForward!(ge, x, e.packed, e.bias, mid, e.act, 0);
    be.convNhwcForward!(gd, mid, d.packed, d.bias, dw, d.act, 0);
    be.convNhwcForward!(gp, dw, p.packed, p.bias, want, p.act, 0, u.shortcut ? x : null);
    const y = new Float32Array(want.length).fill(Number.NaN);
    be.invertedResidualNhwc!(e, d, p, x, u.shortcut ? x : null, y);
    const addon = loadNativeAddon().addon!;
    const split = addon['invertedResidualNhwcSplit']!(ge, gd, gp);
    if (addon['info']!().threads === 2) assert.equal(split, u.split, 'the split this case is written for');
    const err = relError(y, want);
    // split channels sum the projection in another order: rounding differs
    assert.ok(err < (split === 'channels' ? 1e-5 : 1e-6), `rel error ${err}`);
    assert.ok(Math.max(...Array.from(want, Math.abs)) > 0.1, 'the output is not all ~0');
  });
}

test('inverted residual unit in one call refuses geometries that do not chain', { skip: native?.invertedResidualNhwc ? false : 'no fused inverted residual' }, () => {
  const be = native as Backend;
  const ge = geometry({ name: 'e', n: 1, c: 8, h: 6, w: 6, k: 32, kh: 1, kw: 1, algo: 'direct' });
  const gd = geometry({ name: 'd', n: 1, c: 32, h: 6, w: 6, k: 0, kh: 3, kw: 3, pad: [1, 1, 1, 1], depthwise: true, algo: 'depthwise' });
  const gp = geometry({ name: 'p', n: 1, c: 32, h: 6, w: 6, k: 8, kh: 1, kw: 1, algo: 'direct' });
  const step = (g: Conv2dGeometry) => ({ g, act: 'none' as const, bias: null, packed: be.convNhwcPackWeights!(g, new Float32Array(g.k * (g.c / g.groups) * g.kh * g.kw)) });
  const x = new Float32Array(6 * 6 * 8), y = new Float32Array(6 * 6 * 8);
  // the project conv's input is not the depthwise output (16 channels for 32)
  const gp16 = geometry({ name: 'p', n: 1, c: 16, h: 6, w: 6, k: 8, kh: 1, kw: 1, algo: 'direct' });
  assert.throws(() => be.invertedResidualNhwc!(step(ge), step(gd), step(gp16), x, null, y), /shapes chain/);
  // a dense 3x3 in the middle
  const g3 = geometry({ name: 'd', n: 1, c: 32, h: 6, w: 6, k: 32, kh: 3, kw: 3, pad: [1, 1, 1, 1], algo: 'winograd_4x4' });
  assert.throws(() => be.invertedResidualNhwc!(step(ge), step(g3), step(gp), x, null, y), /shapes chain/);
  assert.throws(() => be.invertedResidualNhwc!(step(ge), step(gd), step(gp), x.subarray(1), null, y), /x/);
});

// Whole models: the channels-last path (ResNet, its vd avgpool shortcut, MobileNetV2's depthwise
// blocks; at 112² its four units at 56² and 28² run as one call each, and so do the four at 4²,
// 8 rows in the batch of 2) against the same model kept
// NCHW. Their residual joins write over dead shortcuts (Tensor.consumable): some must, and the
// model's input must come through untouched.
for (const [name, size] of [['ResNet18', 64], ['ResNet50_vd', 64], ['MobileNetV2_x0_5', 64], ['MobileNetV2', 112]] as const) {
  test(`${name} inference channels-last equals NCHW`, { skip: native?.convNhwcForward ? false : 'no native NHWC kernels' }, () => {
    const model = createModel(name, { classDim: 10 });
    fillParityWeights(model);
    model.eval();
    const x = parityInput([2, 3, size, size]);
    const be = getBackend(); // the one the model runs on
    assert.ok(be.convNhwcForward, 'the active backend runs channels-last');
    const forward = be.convNhwcForward;
    let inPlace = 0, fusedUnits = 0;
    const unit = be.invertedResidualNhwc;
    if (unit !== undefined) {
      be.invertedResidualNhwc = (...a) => {
        fusedUnits++;
        unit.apply(be, a);
      };
    }
    be.convNhwcForward = (g, xv, packed, bias, y, act, alpha, residual = null) => {
      if (residual === y) inPlace++;
      forward.call(be, g, xv, packed, bias, y, act, alpha, residual);
    };
    let nhwc: Float32Array | Int32Array;
    try {
      nhwc = noGrad(() => model.forward(x)).dataSync();
    } finally {
      be.convNhwcForward = forward;
      if (unit !== undefined) be.invertedResidualNhwc = unit;
    }
    assert.ok(inPlace > 0, 'no residual join wrote over its shortcut');
    if (name === 'MobileNetV2') assert.equal(fusedUnits, 8, 'the units at 56², 28² and 4² ran as one call each');
    assert.deepEqual(x.dataSync(), parityInput([2, 3, size, size]).dataSync(), 'the input is untouched');
    assert.deepEqual(noGrad(() => model.forward(x)).dataSync(), nhwc, 'a second forward of the same input agrees');
    const prev = setChannelsLastInference(false);
    try {
      const nchw = noGrad(() => model.forward(x)).dataSync();
      const err = relError(nhwc, nchw);
      assert.ok(err < 1e-4, `rel error ${err}`);
      assert.ok(Math.max(...Array.from(nchw, Math.abs)) > 1e-3, 'the logits are not all ~0');
    } finally {
      setChannelsLastInference(prev);
    }
  });
}

test('conv geometry as an Int32Array reads like the object; a wrong array or inconsistent fields are refused', { skip: native?.convNhwcForward ? false : 'no native NHWC kernels' }, () => {
  const addon = loadNativeAddon().addon!;
  const fields = ['n', 'c', 'h', 'w', 'k', 'kh', 'kw', 'strideH', 'strideW', 'padTop', 'padBottom', 'padLeft', 'padRight', 'dilationH', 'dilationW', 'groups', 'oh', 'ow'] as const;
  const ints = (g: Conv2dGeometry): Int32Array => Int32Array.from(fields, (f) => g[f]);
  for (const c of CASES) {
    const g = geometry(c);
    assert.equal(addon['convNhwcPackedSize']!(ints(g)), addon['convNhwcPackedSize']!(g), c.name);
    assert.equal(addon['convNhwcAlgorithm']!(ints(g)), addon['convNhwcAlgorithm']!(g), c.name);
  }
  const g = geometry(CASES[0]!);
  assert.throws(() => addon['convNhwcPackedSize']!(ints(g).subarray(0, 17)), /Int32Array of 18 fields/);
  assert.throws(() => addon['convNhwcPackedSize']!(Float32Array.from(ints(g))), /Int32Array of 18 fields/);
  const bad = ints(g);
  bad[16] = g.oh + 1;
  assert.throws(() => addon['convNhwcPackedSize']!(bad), /inconsistent/);
});
