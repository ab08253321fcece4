// Batch-norm kernel specs: hand-checked statistics, every backend against a float64 oracle for
// the training forward, backward and the folded inference affine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FusedActivation } from '../src/backend/backend.js';
import { backendsUnderTest } from './helpers/backends.js';
import { randomArray, relError } from './helpers/random.js';

test('batchNormTrainForward hand-checked: biased variance, saved mean and 1/std', () => {
  for (const be of backendsUnderTest()) {
    // n=2, c=1, hw=2: values 1, 2 | 3, 4 -> mean 2.5, biased var 1.25
    const x = Float32Array.from([1, 2, 3, 4]);
    const y = new Float32Array(4);
    const mean = new Float32Array(1);
    const inv = new Float32Array(1);
    const bvar = new Float32Array(1);
    be.batchNormTrainForward(2, 1, 2, x, Float32Array.from([2]), Float32Array.from([1]), 0, y, mean, inv, bvar);
    assert.ok(Math.abs(mean[0]! - 2.5) < 1e-6, be.name);
    assert.ok(Math.abs(bvar[0]! - 1.25) < 1e-6, be.name);
    assert.ok(Math.abs(inv[0]! - 1 / Math.sqrt(1.25)) < 1e-6, be.name);
    const s = 1 / Math.sqrt(1.25);
    assert.ok(relError(y, [-1.5, -0.5, 0.5, 1.5].map((d) => 2 * d * s + 1)) < 1e-6, be.name);
  }
});

function oracle(n: number, c: number, hw: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, dy: Float32Array) {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dg = new Float64Array(c);
  const db = new Float64Array(c);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const m = n * hw;
  for (let ch = 0; ch < c; ch++) {
    const idx: number[] = [];
    for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) idx.push((b * c + ch) * hw + i);
    const mu = idx.reduce((s, i) => s + x[i]!, 0) / m;
    const v = idx.reduce((s, i) => s + (x[i]! - mu) ** 2, 0) / m;
    const inv = 1 / Math.sqrt(v + eps);
    mean[ch] = mu;
    variance[ch] = v;
    let sdy = 0;
    let sdyxh = 0;
    for (const i of idx) {
      const xh = (x[i]! - mu) * inv;
      y[i] = gamma[ch]! * xh + beta[ch]!;
      sdy += dy[i]!;
      sdyxh += dy[i]! * xh;
    }
    db[ch] = sdy;
    dg[ch] = sdyxh;
    for (const i of idx) {
      const xh = (x[i]! - mu) * inv;
      dx[i] = (gamma[ch]! * inv / m) * (m * dy[i]! - sdy - xh * sdyxh);
    }
  }
  return { y, dx, dg, db, mean, variance };
}

test('batch norm kernels match the oracle (several shapes), every backend', () => {
  const shapes: [number, number, number][] = [[2, 3, 16], [1, 4, 9], [5, 2, 1], [3, 7, 25], [8, 16, 1]];
  for (const be of backendsUnderTest()) {
    let seed = 900;
    for (const [n, c, hw] of shapes) {
      const x = randomArray(n * c * hw, seed);
      for (let i = 0; i < x.length; i++) x[i] = x[i]! * 3 + 0.5; // non-zero mean, spread
      const gamma = randomArray(c, seed + 1);
      const beta = randomArray(c, seed + 2);
      const dy = randomArray(x.length, seed + 3);
      const eps = 1e-5;
      const o = oracle(n, c, hw, x, gamma, beta, eps, dy);
      const y = new Float32Array(x.length).fill(NaN);
      const mean = new Float32Array(c);
      const inv = new Float32Array(c);
      const bvar = new Float32Array(c);
      be.batchNormTrainForward(n, c, hw, x, gamma, beta, eps, y, mean, inv, bvar);
      const tag = `${be.name} [${n}, ${c}, ${hw}]`;
      assert.ok(relError(y, o.y) < 1e-5, `forward ${tag}`);
      assert.ok(relError(mean, o.mean) < 1e-5, `mean ${tag}`);
      assert.ok(relError(bvar, o.variance) < 1e-5, `variance ${tag}`);
      assert.ok(relError(inv, Array.from(o.variance, (v) => 1 / Math.sqrt(v + eps))) < 1e-5, `inv std ${tag}`);
      const dx = new Float32Array(x.length).fill(NaN);
      const dg = new Float32Array(c).fill(NaN);
      const db = new Float32Array(c).fill(NaN);
      be.batchNormBackward(n, c, hw, x, dy, gamma, mean, inv, dx, dg, db);
      assert.ok(relError(dx, o.dx) < 1e-4, `dx ${tag}: ${relError(dx, o.dx)}`);
      assert.ok(relError(dg, o.dg) < 1e-4, `dgamma ${tag}`);
      assert.ok(relError(db, o.db) < 1e-5, `dbeta ${tag}`);
      seed += 10;
    }
  }
});

test('channelAffine with fused activations, every backend', () => {
  for (const be of backendsUnderTest()) {
    const n = 2, c = 3, hw = 5;
    const x = randomArray(n * c * hw, 950);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! * 8;
    const scale = Float32Array.from([0.5, -2, 1.5]);
    const shift = Float32Array.from([1, 0.25, -3]);
    for (const act of ['none', 'relu', 'relu6'] as FusedActivation[]) {
      const want = Array.from(x, (v, i) => {
        const ch = Math.floor(i / hw) % c;
        const t = v * scale[ch]! + shift[ch]!;
        return act === 'relu' ? Math.max(t, 0) : act === 'relu6' ? Math.min(Math.max(t, 0), 6) : t;
      });
      const y = new Float32Array(x.length).fill(NaN);
      be.channelAffine(n, c, hw, x, scale, shift, act, y);
      assert.ok(relError(y, want) < 1e-6, `${be.name} ${act}`);
    }
  }
});
