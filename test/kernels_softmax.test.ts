// Softmax / log-softmax / cross-entropy / top-k kernel specs, every backend against oracles,
// including large logits (numerical stability) and ties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendsUnderTest } from './helpers/backends.js';
import { randomArray, relError } from './helpers/random.js';

function softmaxOracle(rows: number, cols: number, x: Float32Array): { p: number[]; lp: number[] } {
  const p: number[] = [];
  const lp: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    for (const v of row) {
      lp.push(v - lse);
      p.push(Math.exp(v - lse));
    }
  }
  return { p, lp };
}

test('softmax and log-softmax forward/backward match the oracle, every backend', () => {
  for (const be of backendsUnderTest()) {
    for (const [rows, cols] of [[1, 1], [3, 5], [4, 1000], [17, 10]] as const) {
      const x = randomArray(rows * cols, rows * cols);
      for (let i = 0; i < x.length; i++) x[i] = x[i]! * 20 + (i % 3 === 0 ? 500 : 0); // large, spread logits
      const o = softmaxOracle(rows, cols, x);
      const y = new Float32Array(x.length).fill(NaN);
      const ly = new Float32Array(x.length).fill(NaN);
      be.softmax(rows, cols, x, y, false);
      be.softmax(rows, cols, x, ly, true);
      assert.ok(relError(y, o.p) < 1e-5, `${be.name} softmax ${rows}x${cols}`);
      assert.ok(relError(ly, o.lp) < 1e-5 && ly.every(Number.isFinite), `${be.name} log-softmax ${rows}x${cols}`);
      const dy = randomArray(x.length, 5);
      const dx = new Float32Array(x.length).fill(NaN);
      be.softmaxBackward(rows, cols, y, dy, dx, false);
      const want: number[] = [];
      const wantLog: number[] = [];
      for (let r = 0; r < rows; r++) {
        let s = 0;
        let sd = 0;
        for (let j = 0; j < cols; j++) {
          s += dy[r * cols + j]! * o.p[r * cols + j]!;
          sd += dy[r * cols + j]!;
        }
        for (let j = 0; j < cols; j++) {
          want.push(o.p[r * cols + j]! * (dy[r * cols + j]! - s));
          wantLog.push(dy[r * cols + j]! - o.p[r * cols + j]! * sd);
        }
      }
      assert.ok(relError(dx, want) < 1e-5, `${be.name} softmax backward ${rows}x${cols}`);
      be.softmaxBackward(rows, cols, ly, dy, dx, true);
      assert.ok(relError(dx, wantLog) < 1e-5, `${be.name} log-softmax backward ${rows}x${cols}`);
    }
    const y = new Float32Array(3);
    be.softmax(1, 3, Float32Array.from([0, Math.log(2), Math.log(5)]), y, false);
    assert.ok(relError(y, [1 / 8, 2 / 8, 5 / 8]) < 1e-6, be.name);
  }
});

test('softmax cross-entropy, hard labels and soft targets, every backend', () => {
  for (const be of backendsUnderTest()) {
    // hand-checked: logits [0, ln 3] -> p = [1/4, 3/4]; label 1 -> -ln(3/4)
    const loss = new Float32Array(1);
    const prob = new Float32Array(2);
    be.softmaxCrossEntropy(1, 2, Float32Array.from([0, Math.log(3)]), Int32Array.from([1]), loss, prob);
    assert.ok(Math.abs(loss[0]! + Math.log(0.75)) < 1e-6, be.name);
    assert.ok(relError(prob, [0.25, 0.75]) < 1e-6, be.name);
    for (const [rows, cols] of [[4, 3], [9, 1000], [2, 1]] as const) {
      const x = randomArray(rows * cols, cols);
      for (let i = 0; i < x.length; i++) x[i] = x[i]! * 30 + 100;
      const o = softmaxOracle(rows, cols, x);
      const labels = Int32Array.from({ length: rows }, (_, r) => (r * 7) % cols);
      const l = new Float32Array(rows).fill(NaN);
      const p = new Float32Array(rows * cols).fill(NaN);
      be.softmaxCrossEntropy(rows, cols, x, labels, l, p);
      assert.ok(relError(l, Array.from(labels, (t, r) => -o.lp[r * cols + t]!)) < 1e-5, `${be.name} hard ${rows}x${cols}`);
      assert.ok(relError(p, o.p) < 1e-5, `${be.name} prob ${rows}x${cols}`);
      const soft = new Float32Array(rows * cols);
      const u = randomArray(rows * cols, 3);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += soft[r * cols + j] = Math.abs(u[r * cols + j]!);
        for (let j = 0; j < cols; j++) soft[r * cols + j] = soft[r * cols + j]! / s;
      }
      be.softmaxCrossEntropy(rows, cols, x, soft, l, p);
      const want = Array.from({ length: rows }, (_, r) => {
        let s = 0;
        for (let j = 0; j < cols; j++) s -= soft[r * cols + j]! * o.lp[r * cols + j]!;
        return s;
      });
      assert.ok(relError(l, want) < 1e-5, `${be.name} soft ${rows}x${cols}`);
    }
  }
});

test('topk: largest first, ties to the lower index, every backend', () => {
  for (const be of backendsUnderTest()) {
    const x = Float32Array.from([3, 1, 3, 2, 5, /* row 2 */ 0, 0, 0, -1, 0]);
    const v = new Float32Array(6);
    const idx = new Int32Array(6);
    be.topk(2, 5, x, 3, v, idx);
    assert.deepEqual(Array.from(v), [5, 3, 3, 0, 0, 0], be.name);
    assert.deepEqual(Array.from(idx), [4, 0, 2, 0, 1, 2], be.name);
    const rows = 6;
    const cols = 1000;
    const r = randomArray(rows * cols, 42);
    for (let i = 0; i < r.length; i++) r[i] = Math.round(r[i]! * 50) / 50; // many ties
    for (const k of [1, 5, 1000]) {
      const vals = new Float32Array(rows * k);
      const ids = new Int32Array(rows * k);
      be.topk(rows, cols, r, k, vals, ids);
      for (let row = 0; row < rows; row++) {
        const order = Array.from({ length: cols }, (_, j) => j).sort((a, b) => r[row * cols + b]! - r[row * cols + a]! || a - b);
        assert.deepEqual(Array.from(ids.subarray(row * k, (row + 1) * k)), order.slice(0, k), `${be.name} k=${k} row ${row}`);
        assert.deepEqual(Array.from(vals.subarray(row * k, (row + 1) * k)), order.slice(0, k).map((j) => r[row * cols + j]!));
      }
    }
  }
});
