// Optimizer kernel specs (Paddle's update rules), every backend against a float64 oracle over
// several steps, plus hand-checked single steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendsUnderTest } from './helpers/backends.js';
import { randomArray, relError } from './helpers/random.js';

test('sgdMomentum hand-checked: g\' = g + l2 p; v = mu v + g\'; p -= lr v (nesterov: p -= lr (g\' + mu v))', () => {
  for (const be of backendsUnderTest()) {
    const p = Float32Array.from([1]);
    const v = Float32Array.from([0.5]);
    be.sgdMomentum(p, Float32Array.from([2]), v, 0.1, 0.9, 0.01, false);
    // g' = 2.01, v = 0.45 + 2.01 = 2.46, p = 1 - 0.246
    assert.ok(Math.abs(v[0]! - 2.46) < 1e-6 && Math.abs(p[0]! - 0.754) < 1e-6, be.name);
    const q = Float32Array.from([1]);
    const w = Float32Array.from([0.5]);
    be.sgdMomentum(q, Float32Array.from([2]), w, 0.1, 0.9, 0.01, true);
    // p = 1 - 0.1 * (2.01 + 0.9 * 2.46) = 1 - 0.4224
    assert.ok(Math.abs(q[0]! - 0.5776) < 1e-6, be.name);
  }
});

test('optimizer kernels match a float64 oracle over 5 steps, every backend', () => {
  const n = 1037;
  for (const be of backendsUnderTest()) {
    for (const nesterov of [false, true]) {
      const p = randomArray(n, 1);
      const v = new Float32Array(n);
      const P = Float64Array.from(p);
      const V = new Float64Array(n);
      for (let step = 1; step <= 5; step++) {
        const g = randomArray(n, 10 + step);
        be.sgdMomentum(p, g, v, 0.05, 0.9, 1e-4, nesterov);
        for (let i = 0; i < n; i++) {
          const gi = g[i]! + 1e-4 * P[i]!;
          V[i] = 0.9 * V[i]! + gi;
          P[i] = P[i]! - 0.05 * (nesterov ? gi + 0.9 * V[i]! : V[i]!);
        }
      }
      assert.ok(relError(p, P) < 1e-5 && relError(v, V) < 1e-5, `${be.name} sgd nesterov=${nesterov}`);
    }
    for (const [l2, wd] of [[0, 0], [1e-3, 0], [0, 0.01]] as const) {
      const p = randomArray(n, 2);
      const m = new Float32Array(n);
      const v = new Float32Array(n);
      const P = Float64Array.from(p);
      const M = new Float64Array(n);
      const V = new Float64Array(n);
      const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];
      for (let step = 1; step <= 5; step++) {
        const g = randomArray(n, 20 + step);
        be.adam(p, g, m, v, lr, b1, b2, eps, step, l2, wd);
        for (let i = 0; i < n; i++) {
          const gi = g[i]! + l2 * P[i]!;
          M[i] = b1 * M[i]! + (1 - b1) * gi;
          V[i] = b2 * V[i]! + (1 - b2) * gi * gi;
          const mh = M[i]! / (1 - b1 ** step);
          const vh = V[i]! / (1 - b2 ** step);
          P[i] = P[i]! - lr * wd * P[i]! - (lr * mh) / (Math.sqrt(vh) + eps);
        }
      }
      assert.ok(relError(p, P) < 1e-5 && relError(m, M) < 1e-5 && relError(v, V) < 1e-5, `${be.name} adam l2=${l2} wd=${wd}`);
    }
    for (const momentum of [0, 0.9]) {
      const p = randomArray(n, 3);
      const ms = new Float32Array(n);
      const mom = new Float32Array(n);
      const P = Float64Array.from(p);
      const MS = new Float64Array(n);
      const MOM = new Float64Array(n);
      const [lr, rho, eps, l2] = [0.01, 0.95, 1e-6, 1e-4];
      for (let step = 1; step <= 5; step++) {
        const g = randomArray(n, 30 + step);
        be.rmsprop(p, g, ms, mom, lr, rho, eps, momentum, l2);
        for (let i = 0; i < n; i++) {
          const gi = g[i]! + l2 * P[i]!;
          MS[i] = rho * MS[i]! + (1 - rho) * gi * gi;
          MOM[i] = momentum * MOM[i]! + (lr * gi) / Math.sqrt(MS[i]! + eps);
          P[i] = P[i]! - MOM[i]!;
        }
      }
      assert.ok(relError(p, P) < 1e-5 && relError(ms, MS) < 1e-5 && relError(mom, MOM) < 1e-4, `${be.name} rmsprop momentum=${momentum}`);
    }
  }
});

test('adam hand-checked first step moves each weight by about lr against its gradient sign', () => {
  for (const be of backendsUnderTest()) {
    const p = Float32Array.from([1, 1]);
    be.adam(p, Float32Array.from([0.5, -3]), new Float32Array(2), new Float32Array(2), 0.01, 0.9, 0.999, 1e-8, 1, 0, 0);
    assert.ok(relError(p, [0.99, 1.01]) < 1e-6, be.name);
    const q = Float32Array.from([2]);
    be.adam(q, Float32Array.from([0]), new Float32Array(1), new Float32Array(1), 0.1, 0.9, 0.999, 1e-8, 1, 0, 0.5);
    assert.ok(Math.abs(q[0]! - (2 - 0.1 * 0.5 * 2)) < 1e-6, `${be.name} AdamW decay only`);
  }
});
