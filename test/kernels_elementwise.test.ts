// Elementwise kernel specs: unary ops and derivatives, broadcasting binary ops, sumToShape,
// reduceAxis, stridedCopy, axpby and fill; every backend against scalar oracles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BinaryOp, UnaryOp } from '../src/backend/backend.js';
import { backendsUnderTest } from './helpers/backends.js';
import { randomArray, relError } from './helpers/random.js';

const sig = (v: number): number => 1 / (1 + Math.exp(-v));
const unaryOracle: Record<UnaryOp, [(x: number, a: number) => number, (x: number, a: number) => number]> = {
  relu: [(x) => Math.max(x, 0), (x) => (x > 0 ? 1 : 0)],
  relu6: [(x) => Math.min(Math.max(x, 0), 6), (x) => (x > 0 && x < 6 ? 1 : 0)],
  leaky_relu: [(x, a) => (x > 0 ? x : a * x), (x, a) => (x > 0 ? 1 : a)],
  sigmoid: [sig, (x) => sig(x) * (1 - sig(x))],
  tanh: [Math.tanh, (x) => 1 - Math.tanh(x) ** 2],
  swish: [(x) => x * sig(x), (x) => sig(x) + x * sig(x) * (1 - sig(x))],
  hard_swish: [(x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6, (x) => (x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6)],
  hard_sigmoid: [(x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1), (x) => (x > -2.5 && x < 2.5 ? 0.2 : 0)],
  exp: [Math.exp, Math.exp],
  log: [Math.log, (x) => 1 / x],
  neg: [(x) => -x, () => -1],
  sqrt: [Math.sqrt, (x) => 0.5 / Math.sqrt(x)],
  square: [(x) => x * x, (x) => 2 * x],
  abs: [Math.abs, (x) => Math.sign(x)],
};

test('unary kernels and their derivatives match scalar oracles, every backend', () => {
  for (const be of backendsUnderTest()) {
    for (const n of [1, 7, 1000, 1029]) {
      for (const op of Object.keys(unaryOracle) as UnaryOp[]) {
        const [f, d] = unaryOracle[op];
        const x = randomArray(n, n + op.length);
        const positive = op === 'log' || op === 'sqrt';
        for (let i = 0; i < n; i++) x[i] = positive ? Math.abs(x[i]!) * 4 + 0.1 : x[i]! * 9;
        const alpha = 0.1;
        const y = new Float32Array(n).fill(NaN);
        be.unary(op, x, y, alpha);
        assert.ok(relError(y, Array.from(x, (v) => f(v, alpha))) < 1e-5, `${be.name} ${op} n=${n}`);
        const dy = randomArray(n, 3 * n);
        const dx = new Float32Array(n).fill(NaN);
        be.unaryBackward(op, x, y, dy, dx, alpha);
        assert.ok(relError(dx, Array.from(x, (v, i) => dy[i]! * d(v, alpha))) < 1e-5, `${be.name} ${op}' n=${n}`);
      }
    }
  }
});

function broadcastOracle(op: BinaryOp, a: Float32Array, as: number[], b: Float32Array, bs: number[], os: number[]): number[] {
  const out: number[] = [];
  const n = os.reduce((x, y) => x * y, 1);
  const f = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y, max: Math.max, min: Math.min }[op];
  for (let o = 0; o < n; o++) {
    let rem = o;
    const idx = new Array<number>(os.length);
    for (let d = os.length - 1; d >= 0; d--) {
      idx[d] = rem % os[d]!;
      rem = Math.floor(rem / os[d]!);
    }
    const at = (s: number[]): number => s.reduce((acc, dim, d) => acc * dim + (dim === 1 ? 0 : idx[d]!), 0);
    out.push(f(a[at(as)]!, b[at(bs)]!));
  }
  return out;
}

const broadcastCases: [number[], number[], number[]][] = [
  [[2, 3, 4], [2, 3, 4], [2, 3, 4]],
  [[1, 1, 4], [2, 3, 4], [2, 3, 4]],
  [[2, 3, 4], [1, 3, 1], [2, 3, 4]],
  [[2, 1, 4], [1, 3, 1], [2, 3, 4]],
  [[1, 1, 1], [2, 3, 4], [2, 3, 4]],
  [[4, 5, 1, 1], [1, 5, 3, 3], [4, 5, 3, 3]],
  [[1000], [1000], [1000]],
];

test('binary kernels with broadcasting match the oracle, every backend', () => {
  for (const be of backendsUnderTest()) {
    let seed = 1;
    for (const [as, bs, os] of broadcastCases) {
      for (const op of ['add', 'sub', 'mul', 'div', 'max', 'min'] as BinaryOp[]) {
        const a = randomArray(as.reduce((x, y) => x * y, 1), seed++);
        const b = randomArray(bs.reduce((x, y) => x * y, 1), seed++);
        if (op === 'div') for (let i = 0; i < b.length; i++) b[i] = b[i]! + (b[i]! < 0 ? -0.5 : 0.5);
        const out = new Float32Array(os.reduce((x, y) => x * y, 1)).fill(NaN);
        be.binary(op, a, as, b, bs, out, os);
        assert.ok(relError(out, broadcastOracle(op, a, as, b, bs, os)) < 1e-6, `${be.name} ${op} [${as}] [${bs}]`);
      }
    }
  }
});

test('sumToShape is the adjoint of broadcasting, every backend', () => {
  for (const be of backendsUnderTest()) {
    for (const [as, , os] of broadcastCases) {
      const src = randomArray(os.reduce((x, y) => x * y, 1), 77);
      const dst = new Float32Array(as.reduce((x, y) => x * y, 1)).fill(NaN);
      be.sumToShape(src, os, dst, as);
      // <broadcast(u), src> == <u, sumToShape(src)> for random u
      const u = randomArray(dst.length, 78);
      const bu = broadcastOracle('add', u, as, new Float32Array(1), os.map(() => 1), os);
      const lhs = bu.reduce((s, v, i) => s + v * src[i]!, 0);
      const rhs = Array.from(dst).reduce((s, v, i) => s + v * u[i]!, 0);
      assert.ok(Math.abs(lhs - rhs) < 1e-4 * Math.max(1, Math.abs(lhs)), `${be.name} [${as}] <- [${os}]`);
    }
    const dst = new Float32Array(3);
    be.sumToShape(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], dst, [1, 3]);
    assert.deepEqual(Array.from(dst), [5, 7, 9]);
    const col = new Float32Array(2);
    be.sumToShape(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], col, [2, 1]);
    assert.deepEqual(Array.from(col), [6, 15]);
  }
});

test('reduceAxis sum/mean/max with argmax (first maximum on ties), every backend', () => {
  for (const be of backendsUnderTest()) {
    // [outer=2, axis=3, inner=2]
    const x = Float32Array.from([1, 9, 5, 9, 5, 0, -1, -2, -3, -2, -1, -5]);
    const y = new Float32Array(4);
    const am = new Int32Array(4);
    be.reduceAxis('sum', 2, 3, 2, x, y, null);
    assert.deepEqual(Array.from(y), [11, 18, -5, -9], be.name);
    be.reduceAxis('mean', 2, 3, 2, x, y, null);
    assert.ok(relError(y, [11 / 3, 6, -5 / 3, -3]) < 1e-6, be.name);
    be.reduceAxis('max', 2, 3, 2, x, y, am);
    assert.deepEqual(Array.from(y), [5, 9, -1, -2], be.name);
    assert.deepEqual(Array.from(am), [1, 0, 0, 0], be.name);
    for (const [outer, axis, inner] of [[1, 1000, 1], [7, 13, 5], [3, 1, 4], [1, 6, 300]] as const) {
      const v = randomArray(outer * axis * inner, outer + axis + inner);
      const s = new Float32Array(outer * inner);
      const m = new Float32Array(outer * inner);
      const idx = new Int32Array(outer * inner);
      be.reduceAxis('sum', outer, axis, inner, v, s, null);
      be.reduceAxis('max', outer, axis, inner, v, m, idx);
      const ws: number[] = [];
      const wm: number[] = [];
      const wi: number[] = [];
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          let acc = 0;
          let best = -Infinity;
          let bi = 0;
          for (let a = 0; a < axis; a++) {
            const e = v[(o * axis + a) * inner + i]!;
            acc += e;
            if (e > best) [best, bi] = [e, a];
          }
          ws.push(acc);
          wm.push(best);
          wi.push(bi);
        }
      assert.ok(relError(s, ws) < 1e-5, `${be.name} sum ${outer}x${axis}x${inner}`);
      assert.deepEqual(Array.from(m), wm);
      assert.deepEqual(Array.from(idx), wi);
    }
  }
});

test('stridedCopy: permutation, box extraction, box insertion, broadcast (stride 0), every backend', () => {
  for (const be of backendsUnderTest()) {
    const src = Float32Array.from({ length: 24 }, (_, i) => i); // [2, 3, 4]
    // transpose to [4, 2, 3]
    const t = new Float32Array(24);
    be.stridedCopy(src, 0, [1, 12, 4], t, 0, [6, 3, 1], [4, 2, 3]);
    const want: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(i * 12 + j * 4 + k);
    assert.deepEqual(Array.from(t), want, be.name);
    // box [1:2, 1:3, 1:3] out of [2, 3, 4]
    const box = new Float32Array(4);
    be.stridedCopy(src, 12 + 4 + 1, [12, 4, 1], box, 0, [4, 2, 1], [1, 2, 2]);
    assert.deepEqual(Array.from(box), [17, 18, 21, 22], be.name);
    // insert a 2x2 into the middle of a 4x4 of -1s
    const dst = new Float32Array(16).fill(-1);
    be.stridedCopy(Float32Array.from([1, 2, 3, 4]), 0, [2, 1], dst, 5, [4, 1], [2, 2]);
    assert.deepEqual(Array.from(dst), [-1, -1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1, -1, -1, -1], be.name);
    // broadcast a row over 3 rows
    const rows = new Float32Array(6);
    be.stridedCopy(Float32Array.from([7, 8]), 0, [0, 1], rows, 0, [2, 1], [3, 2]);
    assert.deepEqual(Array.from(rows), [7, 8, 7, 8, 7, 8], be.name);
    // empty shape copies nothing
    be.stridedCopy(src, 0, [1], rows, 0, [1], [0]);
    // rank 5 permutation against index arithmetic
    const shape = [2, 3, 2, 2, 3];
    const n = 72;
    const s5 = randomArray(n, 5);
    const d5 = new Float32Array(n);
    const perm = [4, 2, 0, 3, 1];
    const st = [36, 12, 6, 3, 1];
    const out = perm.map((p) => shape[p]!);
    const ost = [24, 12, 6, 3, 1].map((_, i) => out.slice(i + 1).reduce((a, b) => a * b, 1));
    be.stridedCopy(s5, 0, perm.map((p) => st[p]!), d5, 0, ost, out);
    for (let e = 0; e < n; e++) {
      let rem = e;
      const idx = out.map(() => 0);
      for (let d = 4; d >= 0; d--) {
        idx[d] = rem % out[d]!;
        rem = Math.floor(rem / out[d]!);
      }
      const si = idx.reduce((acc, v, d) => acc + v * st[perm[d]!]!, 0);
      assert.equal(d5[e], s5[si], `${be.name} rank-5 element ${e}`);
    }
  }
});

test('axpby and fill, every backend', () => {
  for (const be of backendsUnderTest()) {
    const x = Float32Array.from([1, 2, 3]);
    const y = Float32Array.from([10, 20, 30]);
    be.axpby(2, x, 0.5, y);
    assert.deepEqual(Array.from(y), [7, 14, 21], be.name);
    be.axpby(-1, x, 1, y);
    assert.deepEqual(Array.from(y), [6, 12, 18], be.name);
    be.fill(y, 2.5);
    assert.deepEqual(Array.from(y), [2.5, 2.5, 2.5], be.name);
    const big = randomArray(1001, 9);
    const acc = randomArray(1001, 10);
    const want = Array.from(acc, (v, i) => 0.3 * big[i]! + 0.7 * v);
    be.axpby(0.3, big, 0.7, acc);
    assert.ok(relError(acc, want) < 1e-6, be.name);
  }
});
