// Pool kernel specs (Paddle semantics): hand-checked cases for padding, ceil mode, exclusive vs
// inclusive averaging, and every backend against a direct oracle over the geometry variants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Pool2dGeometry } from '../src/backend/backend.js';
import { pool2dGeometry, type AvgPool2dOpOptions } from '../src/tensor/ops/pool.js';
import { backendsUnderTest } from './helpers/backends.js';
import { distinctValues } from './helpers/gradcheck.js';
import { randomArray, relError } from './helpers/random.js';

const ramp = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);

function run(be: Backend, kind: 'max' | 'avg', shape: [number, number, number, number], x: Float32Array, opts: AvgPool2dOpOptions): { g: Pool2dGeometry; y: number[]; argmax: number[] } {
  const g = pool2dGeometry(shape, opts);
  const y = new Float32Array(g.n * g.c * g.oh * g.ow).fill(NaN);
  const argmax = new Int32Array(y.length);
  if (kind === 'max') be.maxPool2dForward(g, x, y, argmax);
  else be.avgPool2dForward(g, x, y);
  return { g, y: Array.from(y), argmax: Array.from(argmax) };
}

/** Direct Paddle pool: windows clipped to the image; exclusive divides by the valid cells, inclusive by kh*kw. */
function oracle(g: Pool2dGeometry, kind: 'max' | 'avg', x: Float32Array, dy: Float32Array): { y: Float64Array; dx: Float64Array } {
  const y = new Float64Array(g.n * g.c * g.oh * g.ow);
  const dx = new Float64Array(x.length);
  for (let p = 0; p < g.n * g.c; p++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++) {
        const o = (p * g.oh + oy) * g.ow + ox;
        const cells: number[] = [];
        for (let ky = 0; ky < g.kh; ky++)
          for (let kx = 0; kx < g.kw; kx++) {
            const iy = oy * g.strideH - g.padTop + ky;
            const ix = ox * g.strideW - g.padLeft + kx;
            if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) cells.push((p * g.h + iy) * g.w + ix);
          }
        if (cells.length === 0) continue;
        if (kind === 'max') {
          let best = cells[0]!;
          for (const c of cells) if (x[c]! > x[best]!) best = c;
          y[o] = x[best]!;
          dx[best] = dx[best]! + dy[o]!;
        } else {
          const cnt = g.exclusive ? cells.length : g.kh * g.kw;
          let s = 0;
          for (const c of cells) s += x[c]!;
          y[o] = s / cnt;
          for (const c of cells) dx[c] = dx[c]! + dy[o]! / cnt;
        }
      }
  return { y, dx };
}

export const poolCases: { name: string; x: [number, number, number, number]; opts: AvgPool2dOpOptions }[] = [
  { name: '2x2 s2', x: [2, 3, 6, 6], opts: { kernel: 2, stride: 2 } },
  { name: '3x3 s2 p1 (resnet)', x: [2, 2, 9, 9], opts: { kernel: 3, stride: 2, padding: 1 } },
  { name: '3x3 s2 p0 floor odd (squeezenet)', x: [1, 3, 11, 11], opts: { kernel: 3, stride: 2 } },
  { name: '3x3 s2 ceil (googlenet)', x: [1, 2, 10, 10], opts: { kernel: 3, stride: 2, ceilMode: true } },
  { name: '2x2 s2 ceil odd', x: [2, 2, 5, 7], opts: { kernel: 2, stride: 2, ceilMode: true } },
  { name: '3x3 s1 p1 exclusive', x: [1, 2, 5, 5], opts: { kernel: 3, stride: 1, padding: 1 } },
  { name: '3x3 s1 p1 inclusive', x: [1, 2, 5, 5], opts: { kernel: 3, stride: 1, padding: 1, exclusive: false } },
  { name: 'asymmetric padding [0,1,1,0]', x: [1, 2, 6, 5], opts: { kernel: 2, stride: 2, padding: [0, 1, 1, 0] } },
  { name: 'asymmetric padding inclusive ceil', x: [1, 2, 7, 6], opts: { kernel: 3, stride: 2, padding: [1, 0, 0, 2], ceilMode: true, exclusive: false } },
  { name: 'rect kernel [2,3] stride [1,2]', x: [2, 1, 5, 8], opts: { kernel: [2, 3], stride: [1, 2], padding: [1, 1] } },
  { name: 'global 7x7', x: [2, 4, 7, 7], opts: { kernel: 7 } },
  { name: 'ceil inclusive past the border', x: [1, 1, 5, 5], opts: { kernel: 2, stride: 2, ceilMode: true, exclusive: false } },
];

test('pool hand-checked: max and average 2x2 s2', () => {
  for (const be of backendsUnderTest()) {
    const mx = run(be, 'max', [1, 1, 4, 4], ramp(16), { kernel: 2, stride: 2 });
    assert.deepEqual(mx.y, [5, 7, 13, 15], be.name);
    assert.deepEqual(mx.argmax, [5, 7, 13, 15], be.name);
    assert.deepEqual(run(be, 'avg', [1, 1, 4, 4], ramp(16), { kernel: 2, stride: 2 }).y, [2.5, 4.5, 10.5, 12.5], be.name);
  }
});

test('pool hand-checked: exclusive vs inclusive averaging with padding', () => {
  for (const be of backendsUnderTest()) {
    const x = ramp(9); // 0..8 in 3x3
    const ex = run(be, 'avg', [1, 1, 3, 3], x, { kernel: 3, stride: 1, padding: 1 }).y;
    // corner (0,0) covers 0,1,3,4; edge (0,1) covers 0,1,2,3,4,5; centre all nine
    assert.deepEqual(ex.map((v) => +v.toFixed(5)), [2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6], be.name);
    const inc = run(be, 'avg', [1, 1, 3, 3], x, { kernel: 3, stride: 1, padding: 1, exclusive: false }).y;
    assert.deepEqual(inc.map((v) => +v.toFixed(5)), [8 / 9, 15 / 9, 12 / 9, 21 / 9, 4, 27 / 9, 20 / 9, 33 / 9, 24 / 9].map((v) => +v.toFixed(5)), be.name);
    // max ignores padding even when every value is negative
    const neg = Float32Array.from(x, (v) => -1 - v);
    assert.deepEqual(run(be, 'max', [1, 1, 3, 3], neg, { kernel: 3, stride: 1, padding: 1 }).y, [-1, -1, -2, -1, -1, -2, -4, -4, -5], be.name);
  }
});

test('pool hand-checked: ceil mode adds the partial last window (5x5, k2 s2)', () => {
  for (const be of backendsUnderTest()) {
    const x = ramp(25);
    const floor = run(be, 'max', [1, 1, 5, 5], x, { kernel: 2, stride: 2 });
    assert.equal(floor.g.oh, 2);
    assert.deepEqual(floor.y, [6, 8, 16, 18], be.name);
    const ceil = run(be, 'max', [1, 1, 5, 5], x, { kernel: 2, stride: 2, ceilMode: true });
    assert.equal(ceil.g.oh, 3);
    assert.deepEqual(ceil.y, [6, 8, 9, 16, 18, 19, 21, 23, 24], be.name);
    const ex = run(be, 'avg', [1, 1, 5, 5], x, { kernel: 2, stride: 2, ceilMode: true }).y;
    assert.deepEqual(ex, [3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24], be.name);
    // inclusive divides by kh*kw = 4 even where the window hangs past the image (Paddle)
    const inc = run(be, 'avg', [1, 1, 5, 5], x, { kernel: 2, stride: 2, ceilMode: true, exclusive: false }).y;
    assert.deepEqual(inc, [3, 5, 13 / 4, 13, 15, 33 / 4, 41 / 4, 45 / 4, 6], `${be.name}: inclusive averaging divides by kh*kw (Paddle's pool_size), not by the cells inside the padded border`);
  }
});

test('pool output size: truncating division as Paddle', () => {
  assert.equal(pool2dGeometry([1, 1, 112, 112], { kernel: 3, stride: 2, padding: 1 }).oh, 56);
  assert.equal(pool2dGeometry([1, 1, 111, 111], { kernel: 3, stride: 2 }).oh, 55);
  assert.equal(pool2dGeometry([1, 1, 112, 112], { kernel: 3, stride: 2, ceilMode: true }).oh, 56);
  assert.equal(pool2dGeometry([1, 1, 112, 112], { kernel: 3, stride: 2 }).oh, 55);
  assert.equal(pool2dGeometry([1, 1, 6, 6], { kernel: 2, stride: 2, padding: [0, 1, 1, 0] }).oh, 3);
  assert.equal(pool2dGeometry([1, 1, 6, 6], { kernel: 2, stride: 2, padding: [0, 1, 1, 0] }).ow, 3);
});

test('pool kernels match the oracle on every geometry variant, every backend (forward and backward)', () => {
  for (const be of backendsUnderTest()) {
    let seed = 700;
    for (const c of poolCases) {
      const n = c.x.reduce((a, b) => a * b, 1);
      for (const kind of ['max', 'avg'] as const) {
        const x = kind === 'max' ? distinctValues(n, seed) : randomArray(n, seed);
        const g = pool2dGeometry(c.x, c.opts);
        const dy = randomArray(g.n * g.c * g.oh * g.ow, seed + 1);
        const o = oracle(g, kind, x, dy);
        const y = new Float32Array(dy.length).fill(NaN);
        const dx = new Float32Array(n).fill(NaN);
        const tag = `${be.name} ${kind} ${c.name}`;
        if (kind === 'max') {
          const am = new Int32Array(dy.length);
          be.maxPool2dForward(g, x, y, am);
          be.maxPool2dBackward(g, dy, am, dx);
        } else {
          be.avgPool2dForward(g, x, y);
          be.avgPool2dBackward(g, dy, dx);
        }
        assert.ok(relError(y, o.y) < 1e-6, `forward ${tag} (exclusive: valid cells; inclusive: kh*kw)`);
        assert.ok(relError(dx, o.dx) < 1e-6, `backward ${tag}`);
        seed += 2;
      }
    }
  }
});
