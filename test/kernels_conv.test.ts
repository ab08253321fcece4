// Conv kernel specs: every backend against a direct float64 oracle (forward, data gradient,
// weight and bias gradient) over all geometry variants, plus hand-checked small cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Conv2dGeometry } from '../src/backend/backend.js';
import { referenceBackend } from '../src/backend/index.js';
import { conv2dGeometry, type Conv2dOpOptions } from '../src/tensor/ops/conv.js';
import { backendsUnderTest } from './helpers/backends.js';
import { randomArray, relError } from './helpers/random.js';

function oracleForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null): Float64Array {
  const y = new Float64Array(g.n * g.k * g.oh * g.ow);
  const cg = g.c / g.groups;
  const kg = g.k / g.groups;
  for (let n = 0; n < g.n; n++)
    for (let k = 0; k < g.k; k++) {
      const grp = Math.floor(k / kg);
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          let s = bias ? bias[k]! : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < g.kh; ky++)
              for (let kx = 0; kx < g.kw; kx++) {
                const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
                const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                s += x[((n * g.c + grp * cg + ci) * g.h + iy) * g.w + ix]! * w[((k * cg + ci) * g.kh + ky) * g.kw + kx]!;
              }
          y[((n * g.k + k) * g.oh + oy) * g.ow + ox] = s;
        }
    }
  return y;
}

/** dx and dw, db by the same loops with the roles swapped. */
function oracleBackward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, dy: Float32Array): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(g.k);
  const cg = g.c / g.groups;
  const kg = g.k / g.groups;
  for (let n = 0; n < g.n; n++)
    for (let k = 0; k < g.k; k++) {
      const grp = Math.floor(k / kg);
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          const d = dy[((n * g.k + k) * g.oh + oy) * g.ow + ox]!;
          db[k] = db[k]! + d;
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < g.kh; ky++)
              for (let kx = 0; kx < g.kw; kx++) {
                const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
                const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                const xi = ((n * g.c + grp * cg + ci) * g.h + iy) * g.w + ix;
                const wi = ((k * cg + ci) * g.kh + ky) * g.kw + kx;
                dx[xi] = dx[xi]! + d * w[wi]!;
                dw[wi] = dw[wi]! + d * x[xi]!;
              }
        }
    }
  return { dx, dw, db };
}

interface Case {
  name: string;
  x: [number, number, number, number];
  k: number;
  kernel: [number, number];
  opts: Conv2dOpOptions;
}

/** Every geometry variant a conv kernel must get right. */
export const convCases: Case[] = [
  { name: '3x3 s1 p1 batch 2', x: [2, 3, 6, 6], k: 4, kernel: [3, 3], opts: { padding: 1 } },
  { name: '3x3 s2 p1 odd size', x: [1, 3, 7, 7], k: 5, kernel: [3, 3], opts: { stride: 2, padding: 1 } },
  { name: '3x3 s2 p0 even size', x: [2, 2, 8, 6], k: 3, kernel: [3, 3], opts: { stride: 2 } },
  { name: 'asymmetric padding [t1 b0 l2 r1]', x: [2, 3, 5, 6], k: 4, kernel: [3, 3], opts: { padding: [1, 0, 2, 1] } },
  { name: 'asymmetric padding [t0 b1 l0 r1] s2 (TF same)', x: [1, 4, 8, 8], k: 3, kernel: [3, 3], opts: { stride: 2, padding: [0, 1, 0, 1] } },
  { name: 'dilation 2 p2', x: [2, 3, 9, 9], k: 4, kernel: [3, 3], opts: { padding: 2, dilation: 2 } },
  { name: 'dilation [2,3] stride 2', x: [1, 2, 11, 13], k: 3, kernel: [3, 3], opts: { stride: 2, padding: [2, 3], dilation: [2, 3] } },
  { name: 'groups 2', x: [2, 4, 6, 6], k: 6, kernel: [3, 3], opts: { padding: 1, groups: 2 } },
  { name: 'groups 4 stride 2 (resnext-like)', x: [1, 8, 7, 7], k: 8, kernel: [3, 3], opts: { stride: 2, padding: 1, groups: 4 } },
  { name: 'depthwise 3x3 s1 p1', x: [2, 6, 7, 7], k: 6, kernel: [3, 3], opts: { padding: 1, groups: 6 } },
  { name: 'depthwise 3x3 s2 p1', x: [2, 5, 9, 8], k: 5, kernel: [3, 3], opts: { stride: 2, padding: 1, groups: 5 } },
  { name: 'depthwise 5x5 s2 p2', x: [1, 4, 10, 10], k: 4, kernel: [5, 5], opts: { stride: 2, padding: 2, groups: 4 } },
  { name: 'depthwise multiplier 2', x: [1, 3, 6, 6], k: 6, kernel: [3, 3], opts: { padding: 1, groups: 3 } },
  { name: '1x1 s1', x: [2, 5, 4, 3], k: 7, kernel: [1, 1], opts: {} },
  { name: '1x1 s2', x: [2, 4, 7, 5], k: 3, kernel: [1, 1], opts: { stride: 2 } },
  { name: '1x1 grouped', x: [1, 8, 3, 3], k: 4, kernel: [1, 1], opts: { groups: 2 } },
  { name: '1x3 and 3x1 (inception)', x: [1, 3, 5, 6], k: 2, kernel: [1, 3], opts: { padding: [0, 1] } },
  { name: '3x1 p[1,0]', x: [2, 3, 6, 5], k: 2, kernel: [3, 1], opts: { padding: [1, 0] } },
  { name: '7x7 s2 p3 stem', x: [1, 3, 15, 15], k: 4, kernel: [7, 7], opts: { stride: 2, padding: 3 } },
  { name: '5x5 s3 batch 3 odd size', x: [3, 2, 11, 9], k: 3, kernel: [5, 5], opts: { stride: 3, padding: 1 } },
  { name: 'kernel as large as the padded input', x: [1, 2, 3, 3], k: 2, kernel: [5, 5], opts: { padding: 1 } },
  { name: 'stride [1,2]', x: [1, 3, 6, 7], k: 2, kernel: [3, 3], opts: { stride: [1, 2], padding: 1 } },
];

function check(be: Backend, c: Case, seed: number, withBias: boolean): void {
  const cg = c.x[1] / (c.opts.groups ?? 1);
  const g = conv2dGeometry(c.x, [c.k, cg, ...c.kernel], c.opts);
  const x = randomArray(g.n * g.c * g.h * g.w, seed);
  const w = randomArray(g.k * cg * g.kh * g.kw, seed + 1);
  const bias = withBias ? randomArray(g.k, seed + 2) : null;
  const dy = randomArray(g.n * g.k * g.oh * g.ow, seed + 3);
  const tag = `${be.name} ${c.name}${withBias ? ' +bias' : ''}`;

  const y = new Float32Array(dy.length).fill(NaN);
  be.conv2dForward(g, x, w, bias, y);
  assert.ok(relError(y, oracleForward(g, x, w, bias)) < 1e-5, `forward ${tag}: ${relError(y, oracleForward(g, x, w, bias))}`);

  const o = oracleBackward(g, x, w, dy);
  const dx = new Float32Array(x.length).fill(NaN);
  be.conv2dBackwardData(g, dy, w, dx);
  assert.ok(relError(dx, o.dx) < 1e-5, `backward data ${tag}: ${relError(dx, o.dx)}`);

  const dw = new Float32Array(w.length).fill(NaN);
  const db = withBias ? new Float32Array(g.k).fill(NaN) : null;
  be.conv2dBackwardWeight(g, x, dy, dw, db);
  assert.ok(relError(dw, o.dw) < 1e-5, `backward weight ${tag}: ${relError(dw, o.dw)}`);
  if (db) assert.ok(relError(db, o.db) < 1e-5, `backward bias ${tag}: ${relError(db, o.db)}`);

  if (be.name !== 'reference') {
    // and against the reference kernels on the same inputs
    const ref = referenceBackend();
    const yr = new Float32Array(y.length);
    ref.conv2dForward(g, x, w, bias, yr);
    assert.ok(relError(y, yr) < 1e-5, `forward vs reference ${tag}`);
  }
}

test('conv kernels match the direct oracle on every geometry variant, every backend', () => {
  for (const be of backendsUnderTest()) {
    let seed = 100;
    for (const c of convCases) {
      check(be, c, seed, false);
      check(be, c, seed + 10, true);
      seed += 20;
    }
  }
});

test('conv geometry: output size formula', () => {
  const g = conv2dGeometry([1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 });
  assert.equal(g.oh, 112);
  assert.equal(g.ow, 112);
  const h = conv2dGeometry([1, 1, 7, 8], [1, 1, 3, 3], { stride: 2, padding: [0, 1, 2, 0], dilation: [1, 2] });
  assert.equal(h.oh, Math.floor((7 + 0 + 1 - 2 - 1) / 2) + 1); // 3
  assert.equal(h.ow, Math.floor((8 + 2 + 0 - 4 - 1) / 2) + 1); // 3
  assert.throws(() => conv2dGeometry([1, 3, 4, 4], [4, 3, 3, 3], { groups: 2 }), /groups/);
});

test('conv hand-checked: ones kernel over ones image with padding counts the covered cells', () => {
  for (const be of backendsUnderTest()) {
    const g = conv2dGeometry([1, 1, 3, 3], [1, 1, 3, 3], { padding: 1 });
    const y = new Float32Array(9);
    be.conv2dForward(g, new Float32Array(9).fill(1), new Float32Array(9).fill(1), new Float32Array([0.5]), y);
    assert.deepEqual(Array.from(y), [4.5, 6.5, 4.5, 6.5, 9.5, 6.5, 4.5, 6.5, 4.5], be.name);
    // x = 0..8, 2x2 kernel [1, 2; 3, 4], stride 1, no padding
    const g2 = conv2dGeometry([1, 1, 3, 3], [1, 1, 2, 2], {});
    const y2 = new Float32Array(4);
    be.conv2dForward(g2, Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), Float32Array.from([1, 2, 3, 4]), null, y2);
    assert.deepEqual(Array.from(y2), [0 + 2 + 9 + 16, 1 + 4 + 12 + 20, 3 + 8 + 18 + 28, 4 + 10 + 21 + 32], be.name);
    // backward data of that: dy = 1 everywhere scatters the kernel
    const dx = new Float32Array(9);
    be.conv2dBackwardData(g2, new Float32Array(4).fill(1), Float32Array.from([1, 2, 3, 4]), dx);
    assert.deepEqual(Array.from(dx), [1, 3, 2, 4, 10, 6, 3, 7, 4], be.name);
  }
});
