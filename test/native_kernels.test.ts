// Native non-conv kernels against the reference backend on random inputs, covering the fast
// paths the C++ code takes (same-shape / scalar / per-channel broadcasting, per-channel
// sumToShape, coalesced strided copies) as well as the general ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, BinaryOp, UnaryOp } from '../src/backend/backend.js';
import { nativeBackend, referenceBackend } from '../src/backend/index.js';
import { expectNative } from './helpers/backends.js';
import { randomArray, relError, rng } from './helpers/random.js';

const native: Backend | null = nativeBackend();
const ref = referenceBackend();
const skip = native ? false : 'native addon not loaded';

test('native backend present unless disabled', () => {
  if (expectNative()) assert.ok(native);
});

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  const e = relError(got, want);
  assert.ok(e < tol, `${what}: rel error ${e}`);
}

const unaryOps: UnaryOp[] = ['relu', 'relu6', 'leaky_relu', 'sigmoid', 'tanh', 'swish', 'hard_swish', 'hard_sigmoid', 'exp', 'log', 'neg', 'sqrt', 'square', 'abs'];
test('unary and unaryBackward, every op', { skip }, () => {
  const n = 70001;
  for (const op of unaryOps) {
    let x = randomArray(n, 3).map((v) => v * 8);
    if (op === 'log' || op === 'sqrt') x = x.map((v) => Math.abs(v) + 0.1);
    const y1 = new Float32Array(n), y2 = new Float32Array(n);
    native!.unary(op, x, y1, 0.07);
    ref.unary(op, x, y2, 0.07);
    close(y1, y2, 1e-5, `${op} forward`);
    const dy = randomArray(n, 4);
    const d1 = new Float32Array(n), d2 = new Float32Array(n);
    native!.unaryBackward(op, x, y2, dy, d1, 0.07);
    ref.unaryBackward(op, x, y2, dy, d2, 0.07);
    close(d1, d2, 1e-5, `${op} backward`);
  }
});

const binaryCases: [number[], number[]][] = [
  [[2, 3, 4, 5], [2, 3, 4, 5]],
  [[2, 3, 4, 5], [1, 1, 1, 1]],
  [[1, 1, 1, 1], [2, 3, 4, 5]],
  [[4, 16, 9, 9], [1, 16, 1, 1]],
  [[1, 16, 1, 1], [4, 16, 9, 9]],
  [[3, 1, 5], [1, 4, 1]],
  [[6, 7], [6, 1]],
  [[6, 7], [1, 7]],
  [[5], [5]],
  [[2, 300, 70], [2, 300, 70]],
];
test('binary with broadcasting, every op', { skip }, () => {
  for (const [as, bs] of binaryCases) {
    const os = as.map((d, i) => Math.max(d, bs[i]!));
    const a = randomArray(size(as), 5), b = randomArray(size(bs), 6).map((v) => v + 1.5);
    for (const op of ['add', 'sub', 'mul', 'div', 'max', 'min'] as BinaryOp[]) {
      const o1 = new Float32Array(size(os)), o2 = new Float32Array(size(os));
      native!.binary(op, a, as, b, bs, o1, os);
      ref.binary(op, a, as, b, bs, o2, os);
      close(o1, o2, 1e-6, `${op} ${JSON.stringify(as)} ${JSON.stringify(bs)}`);
    }
  }
});

test('axpby and fill', { skip }, () => {
  const x = randomArray(50000, 7);
  for (const [a, b] of [[0.5, 1], [-2, 0.3], [1, 0]]) {
    const y1 = randomArray(50000, 8), y2 = y1.slice();
    native!.axpby(a!, x, b!, y1);
    ref.axpby(a!, x, b!, y2);
    close(y1, y2, 1e-6, `axpby ${a} ${b}`);
  }
  assert.throws(() => native!.axpby(1, new Float32Array(3), 1, new Float32Array(4)), RangeError);
  for (const n of [10, 100000]) {
    const y = new Float32Array(n);
    native!.fill(y, 2.5);
    assert.ok(y.every((v) => v === 2.5));
  }
});

const sumCases: [number[], number[]][] = [
  [[4, 16, 9, 9], [1, 16, 1, 1]],
  [[4, 16, 9, 9], [1, 1, 1, 1]],
  [[4, 16, 9, 9], [4, 16, 9, 9]],
  [[6, 7], [1, 7]],
  [[6, 7], [6, 1]],
  [[3, 4, 5], [3, 1, 5]],
  [[2, 3, 4, 5], [2, 1, 4, 1]],
];
test('sumToShape', { skip }, () => {
  for (const [ss, ds] of sumCases) {
    const src = randomArray(size(ss), 9);
    const d1 = new Float32Array(size(ds)).fill(Number.NaN), d2 = new Float32Array(size(ds));
    native!.sumToShape(src, ss, d1, ds);
    ref.sumToShape(src, ss, d2, ds);
    close(d1, d2, 1e-5, `sumToShape ${JSON.stringify(ss)} -> ${JSON.stringify(ds)}`);
  }
});

test('reduceAxis sum / mean / max with argmax', { skip }, () => {
  for (const [outer, axis, inner] of [[3, 7, 5], [1, 1000, 1], [64, 10, 1], [2, 3, 4000]] as const) {
    const x = randomArray(outer * axis * inner, 10);
    for (const op of ['sum', 'mean', 'max'] as const) {
      const y1 = new Float32Array(outer * inner), y2 = new Float32Array(outer * inner);
      const a1 = new Int32Array(outer * inner), a2 = new Int32Array(outer * inner);
      native!.reduceAxis(op, outer, axis, inner, x, y1, op === 'max' ? a1 : null);
      ref.reduceAxis(op, outer, axis, inner, x, y2, op === 'max' ? a2 : null);
      close(y1, y2, 1e-5, `reduce ${op} ${outer}x${axis}x${inner}`);
      if (op === 'max') assert.deepEqual(a1, a2);
    }
  }
});

test('stridedCopy: permute, slice into offset, broadcast-free pad', { skip }, () => {
  // permute [2,3,4,5] -> [2,4,5,3] (NCHW -> NHWC)
  const shape = [2, 3, 4, 5];
  const src = randomArray(size(shape), 11);
  const srcStrides = [60, 1, 15, 3]; // read NHWC order from an NHWC-laid source... any valid strides
  const cases: { so: number; ss: number[]; do: number; ds: number[]; sh: number[]; srcLen: number; dstLen: number }[] = [
    { so: 0, ss: [60, 20, 5, 1], do: 0, ds: [60, 1, 15, 3], sh: shape, srcLen: 120, dstLen: 120 },
    { so: 0, ss: srcStrides, do: 0, ds: [60, 20, 5, 1], sh: shape, srcLen: 120, dstLen: 120 },
    { so: 7, ss: [20, 5, 1], do: 3, ds: [40, 8, 1], sh: [5, 3, 4], srcLen: 120, dstLen: 200 },
    { so: 0, ss: [1], do: 2, ds: [1], sh: [100], srcLen: 120, dstLen: 110 },
  ];
  for (const c of cases) {
    const s = src.subarray(0, c.srcLen);
    const d1 = randomArray(c.dstLen, 12), d2 = d1.slice();
    native!.stridedCopy(s, c.so, c.ss, d1, c.do, c.ds, c.sh);
    ref.stridedCopy(s, c.so, c.ss, d2, c.do, c.ds, c.sh);
    assert.deepEqual(d1, d2);
  }
  assert.throws(() => native!.stridedCopy(src, 0, [1], new Float32Array(4), 0, [1], [5]), RangeError);
});

test('softmax, log-softmax and their backward', { skip }, () => {
  for (const [rows, cols] of [[5, 10], [64, 1000], [3, 1]] as const) {
    const x = randomArray(rows * cols, 13).map((v) => v * 10);
    const dy = randomArray(rows * cols, 14);
    for (const log of [false, true]) {
      const y1 = new Float32Array(rows * cols), y2 = new Float32Array(rows * cols);
      native!.softmax(rows, cols, x, y1, log);
      ref.softmax(rows, cols, x, y2, log);
      close(y1, y2, 1e-5, `softmax log=${log}`);
      const d1 = new Float32Array(rows * cols), d2 = new Float32Array(rows * cols);
      native!.softmaxBackward(rows, cols, y2, dy, d1, log);
      ref.softmaxBackward(rows, cols, y2, dy, d2, log);
      close(d1, d2, 1e-5, `softmax backward log=${log}`);
    }
  }
});

test('softmaxCrossEntropy hard and soft targets; bad labels throw', { skip }, () => {
  const rows = 33, cols = 17;
  const logits = randomArray(rows * cols, 15).map((v) => v * 6);
  const r = rng(16);
  const labels = Int32Array.from({ length: rows }, () => Math.floor(r() * cols));
  const soft = randomArray(rows * cols, 17).map((v) => Math.abs(v));
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += soft[i * cols + j]!;
    for (let j = 0; j < cols; j++) soft[i * cols + j] = soft[i * cols + j]! / s;
  }
  for (const t of [labels, soft]) {
    const l1 = new Float32Array(rows), l2 = new Float32Array(rows);
    const p1 = new Float32Array(rows * cols), p2 = new Float32Array(rows * cols);
    native!.softmaxCrossEntropy(rows, cols, logits, t, l1, p1);
    ref.softmaxCrossEntropy(rows, cols, logits, t, l2, p2);
    close(l1, l2, 1e-5, 'loss');
    close(p1, p2, 1e-5, 'prob');
  }
  const bad = labels.slice();
  bad[3] = cols;
  assert.throws(() => native!.softmaxCrossEntropy(rows, cols, logits, bad, new Float32Array(rows), new Float32Array(rows * cols)), RangeError);
});

test('topk with ties (lower index first)', { skip }, () => {
  const rows = 20, cols = 50, k = 5;
  const x = randomArray(rows * cols, 18).map((v) => Math.round(v * 4)); // many ties
  const v1 = new Float32Array(rows * k), v2 = new Float32Array(rows * k);
  const i1 = new Int32Array(rows * k), i2 = new Int32Array(rows * k);
  native!.topk(rows, cols, x, k, v1, i1);
  ref.topk(rows, cols, x, k, v2, i2);
  assert.deepEqual(i1, i2);
  assert.deepEqual(v1, v2);
});

test('batch norm train forward / backward and channel affine', { skip }, () => {
  for (const [n, c, hw] of [[4, 6, 49], [2, 3, 1], [3, 5, 5000]] as const) {
    const x = randomArray(n * c * hw, 19).map((v) => v * 3 + 2);
    const gamma = randomArray(c, 20), beta = randomArray(c, 21);
    const outs = [native!, ref].map((be) => {
      const y = new Float32Array(n * c * hw), sm = new Float32Array(c), si = new Float32Array(c), bv = new Float32Array(c);
      be.batchNormTrainForward(n, c, hw, x, gamma, beta, 1e-5, y, sm, si, bv);
      return { y, sm, si, bv };
    });
    const [a, b] = outs as [typeof outs[0], typeof outs[0]];
    close(a.y, b.y, 1e-4, 'bn y');
    close(a.sm, b.sm, 1e-5, 'bn mean');
    close(a.si, b.si, 1e-4, 'bn invstd');
    close(a.bv, b.bv, 1e-4, 'bn var');
    const dy = randomArray(n * c * hw, 22);
    const grads = [native!, ref].map((be) => {
      const dx = new Float32Array(n * c * hw), dg = new Float32Array(c), db = new Float32Array(c);
      be.batchNormBackward(n, c, hw, x, dy, gamma, b.sm, b.si, dx, dg, db);
      return { dx, dg, db };
    });
    const [ga, gb] = grads as [typeof grads[0], typeof grads[0]];
    close(ga.dx, gb.dx, 1e-4, 'bn dx');
    close(ga.dg, gb.dg, 1e-4, 'bn dgamma');
    close(ga.db, gb.db, 1e-4, 'bn dbeta');
    for (const act of ['none', 'relu', 'relu6'] as const) {
      const y1 = new Float32Array(n * c * hw), y2 = new Float32Array(n * c * hw);
      native!.channelAffine(n, c, hw, x, gamma, beta, act, y1);
      ref.channelAffine(n, c, hw, x, gamma, beta, act, y2);
      close(y1, y2, 1e-6, `affine ${act}`);
    }
  }
});

test('optimizer steps: sgd (plain, nesterov), adam, rmsprop', { skip }, () => {
  const n = 40000;
  const g = randomArray(n, 23);
  for (const nesterov of [false, true]) {
    const [p1, v1] = [randomArray(n, 24), randomArray(n, 25)];
    const [p2, v2] = [p1.slice(), v1.slice()];
    native!.sgdMomentum(p1, g, v1, 0.1, 0.9, 1e-4, nesterov);
    ref.sgdMomentum(p2, g, v2, 0.1, 0.9, 1e-4, nesterov);
    close(p1, p2, 1e-6, 'sgd p');
    close(v1, v2, 1e-6, 'sgd v');
  }
  {
    const p1 = randomArray(n, 26), m1 = randomArray(n, 27), v1 = randomArray(n, 28).map(Math.abs);
    const p2 = p1.slice(), m2 = m1.slice(), v2 = v1.slice();
    native!.adam(p1, g, m1, v1, 1e-3, 0.9, 0.999, 1e-8, 7, 1e-4, 0.01);
    ref.adam(p2, g, m2, v2, 1e-3, 0.9, 0.999, 1e-8, 7, 1e-4, 0.01);
    close(p1, p2, 1e-6, 'adam p');
    close(m1, m2, 1e-6, 'adam m');
    close(v1, v2, 1e-6, 'adam v');
  }
  {
    const p1 = randomArray(n, 29), ms1 = randomArray(n, 30).map(Math.abs), mo1 = randomArray(n, 31);
    const p2 = p1.slice(), ms2 = ms1.slice(), mo2 = mo1.slice();
    native!.rmsprop(p1, g, ms1, mo1, 1e-3, 0.95, 1e-6, 0.9, 1e-4);
    ref.rmsprop(p2, g, ms2, mo2, 1e-3, 0.95, 1e-6, 0.9, 1e-4);
    close(p1, p2, 1e-6, 'rmsprop p');
    close(ms1, ms2, 1e-6, 'rmsprop ms');
    close(mo1, mo2, 1e-6, 'rmsprop mom');
  }
});

test('tensor buffers and packed conv weights are 64-byte aligned, zero-filled, pool-reusable; views of them are not pooled', { skip }, async () => {
  const { allocF32, releaseF32, bufferPoolStats } = await import('../src/tensor/buffer_pool.js');
  const { setBackend } = await import('../src/backend/index.js');
  const addressAlignment = (native as unknown as { addon: { addressAlignment(a: Float32Array): number } }).addon.addressAlignment;
  const prev = setBackend(native!);
  try {
    // plain typed arrays come from malloc: 16-byte alignment at best (the reason for the allocator)
    for (const n of [256, 1000, 70001, 1 << 20]) {
      const a = allocF32(n);
      assert.equal(a.length, n);
      assert.ok(addressAlignment(a) >= 64, `allocF32(${n}) at alignment ${addressAlignment(a)}`);
      assert.ok(a.every((v) => v === 0), `allocF32(${n}) fresh buffer not zero`);
      a[n - 1] = 5;
      const pooled = bufferPoolStats().pooledBytes;
      releaseF32(a);
      // the pool's cap counts the memory held: the whole ArrayBuffer, alignment slack included
      assert.ok(a.buffer.byteLength > a.byteLength, 'an aligned view leaves slack in its buffer');
      assert.equal(bufferPoolStats().pooledBytes - pooled, a.buffer.byteLength);
      assert.equal(allocF32(n), a, 'a released aligned buffer comes back from the pool');
      assert.equal(bufferPoolStats().pooledBytes, pooled);
      // a view of part of it is no allocation of its own: releasing it must not pool it
      const part = a.subarray(1);
      releaseF32(part);
      assert.notEqual(allocF32(n - 1), part, 'a view was pooled');
    }
    const g = { n: 1, c: 24, h: 8, w: 8, k: 40, kh: 3, kw: 3, strideH: 1, strideW: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, dilationH: 1, dilationW: 1, groups: 1, oh: 8, ow: 8 };
    const packed = native!.convNhwcPackWeights!(g, randomArray(40 * 24 * 9, 5));
    assert.ok(addressAlignment(packed.data) >= 64, `packed NHWC weights at alignment ${addressAlignment(packed.data)}`);
  } finally {
    setBackend(prev);
  }
});

test('packed conv weights of 2 MB or more start on a huge page and compute as the reference; hugePageOffset keeps a fresh buffer zero', { skip }, () => {
  const addon = (native as unknown as { addon: { addressAlignment(a: Float32Array): number; hugePageOffset(ab: ArrayBuffer, bytes: number): number } }).addon;
  // 1x1, 1024 -> 520 channels: 2.1 MB packed, over 7x7 pixels
  const c = 1024, k = 520, h = 7;
  const g = { n: 1, c, h, w: h, k, kh: 1, kw: 1, strideH: 1, strideW: 1, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0, dilationH: 1, dilationW: 1, groups: 1, oh: h, ow: h };
  const w = randomArray(k * c, 11);
  const packed = native!.convNhwcPackWeights!(g, w);
  assert.ok(packed.data.length * 4 >= 2 << 20, 'the case must pack to a huge page or more');
  assert.equal(addon.addressAlignment(packed.data), 2 << 20, 'large packed weights not 2 MB aligned');
  const x = randomArray(h * h * c, 12);
  const bias = randomArray(k, 13);
  const y = new Float32Array(h * h * k);
  native!.convNhwcForward!(g, x, packed, bias, y, 'relu', 0);
  // reference: y[p, co] = relu(bias[co] + sum over ci of x[p, ci] * w[co, ci])
  const want = new Float32Array(y.length);
  for (let p = 0; p < h * h; p++)
    for (let co = 0; co < k; co++) {
      let s = bias[co]!;
      for (let ci = 0; ci < c; ci++) s += x[p * c + ci]! * w[co * c + ci]!;
      want[p * k + co] = Math.max(0, s);
    }
  close(y, want, 1e-4, 'huge-page packed conv');
  // the call drops the buffer's pages: they must read back as the zeros of a fresh buffer
  const bytes = 3 << 20;
  const ab = new ArrayBuffer(bytes + (2 << 20));
  const off = addon.hugePageOffset(ab, bytes);
  assert.ok(off >= 0 && off < 2 << 20 && off % 4 === 0, `offset ${off}`);
  const v = new Float32Array(ab, off, bytes / 4);
  assert.equal(addon.addressAlignment(v), 2 << 20);
  assert.ok(new Uint8Array(ab).every((b) => b === 0), 'a dropped page did not read back as zero');
  v.fill(3);
  assert.equal(v[v.length - 1], 3);
  assert.throws(() => addon.hugePageOffset(new ArrayBuffer(1 << 20), 1 << 20), /at least bytes \+ 2 MB/);
});
