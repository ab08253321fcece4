// conv2d on maps so small that kernel taps fall wholly in the padding (conv_taps.ts): the op
// runs the cut convolution, which must equal the backend's full convolution in value and in
// both gradients, with exact zeros in the dead taps' weight gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/backend/index.js';
import * as ops from '../src/tensor/ops/index.js';
import { liveTaps } from '../src/tensor/ops/conv_taps.js';
import { tensor, type Tensor } from '../src/tensor/tensor.js';
import { gradcheck } from './helpers/gradcheck.js';
import { randomArray, relError } from './helpers/random.js';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const param = (shape: number[], seed: number): Tensor => tensor(randomArray(size(shape), seed), shape).requiresGrad_();

const cases: { name: string; x: number[]; w: number[]; opts: ops.Conv2dOpOptions; live: [number, number, number, number] }[] = [
  // ResNet's last stage on 28x28 inputs: only the centre tap reads a pixel.
  { name: '3x3 p1 on 1x1', x: [3, 4, 1, 1], w: [5, 4, 3, 3], opts: { padding: 1 }, live: [1, 1, 1, 1] },
  // Its stride-2 entry: one output pixel, two live rows and columns.
  { name: '3x3 s2 p1 on 2x2', x: [2, 3, 2, 2], w: [4, 3, 3, 3], opts: { stride: 2, padding: 1 }, live: [1, 2, 1, 2] },
  { name: '3x3 p1 on 1x5', x: [2, 2, 1, 5], w: [3, 2, 3, 3], opts: { padding: 1 }, live: [1, 1, 0, 2] },
  { name: 'asymmetric padding', x: [1, 2, 1, 3], w: [2, 2, 3, 3], opts: { padding: [2, 0, 1, 1] }, live: [2, 2, 0, 2] },
  { name: 'dilated 3x3 d2 p2 on 2x2', x: [1, 2, 2, 2], w: [3, 2, 3, 3], opts: { padding: 2, dilation: 2 }, live: [1, 1, 1, 1] },
  { name: 'depthwise 3x3 p1 on 1x1', x: [2, 3, 1, 1], w: [3, 1, 3, 3], opts: { padding: 1, groups: 3 }, live: [1, 1, 1, 1] },
  { name: '5x5 p2 on 2x3', x: [1, 2, 2, 3], w: [2, 2, 5, 5], opts: { padding: 2 }, live: [1, 3, 0, 4] },
];

test('liveTaps: finds the taps that read real pixels, none on normal maps', () => {
  for (const c of cases) {
    const g = ops.conv2dGeometry(c.x, c.w, c.opts);
    const t = liveTaps(g);
    assert.ok(t, c.name);
    assert.deepEqual([t.r0, t.r1, t.c0, t.c1], c.live, c.name);
    assert.deepEqual([t.geometry.oh, t.geometry.ow], [g.oh, g.ow], `${c.name}: output size kept`);
  }
  assert.equal(liveTaps(ops.conv2dGeometry([1, 2, 7, 7], [2, 2, 3, 3], { padding: 1 })), null);
  assert.equal(liveTaps(ops.conv2dGeometry([1, 2, 4, 4], [2, 2, 3, 3], { stride: 2, padding: 1 })), null);
  // Only the middle tap (dilation 2) reads a pixel, but cutting to it would need padding 1 - 2:
  // the kernel is kept whole.
  assert.equal(liveTaps(ops.conv2dGeometry([1, 1, 2, 2], [1, 1, 3, 3], { padding: [1, 3, 1, 3], dilation: 2, stride: 2 })), null);
});

test('conv2d with dead taps equals the full convolution: output, data and weight gradients', () => {
  const be = getBackend();
  let seed = 900;
  for (const c of cases) {
    const x = param(c.x, seed);
    const w = param(c.w, seed + 1);
    const b = param([c.w[0]!], seed + 2);
    const y = ops.conv2d(x, w, b, c.opts);
    const g = ops.conv2dGeometry(c.x, c.w, c.opts);
    const yFull = new Float32Array(y.size);
    be.conv2dForward(g, x.values, w.values, b.values, yFull);
    assert.ok(relError(y.values, yFull) < 1e-6, `${c.name}: forward`);

    const dy = randomArray(y.size, seed + 3);
    ops.sum(ops.mul(y, tensor(dy, y.shape))).backward();
    const dx = new Float32Array(x.size), dw = new Float32Array(w.size), db = new Float32Array(b.size);
    be.conv2dBackwardData(g, dy, w.values, dx);
    be.conv2dBackwardWeight(g, x.values, dy, dw, db);
    assert.ok(relError(x.grad!.values, dx) < 1e-6, `${c.name}: data gradient`);
    assert.ok(relError(w.grad!.values, dw) < 1e-6, `${c.name}: weight gradient`);
    assert.ok(relError(b.grad!.values, db) < 1e-6, `${c.name}: bias gradient`);
    const t = liveTaps(g)!;
    for (let i = 0; i < w.size; i++) {
      const r = Math.floor(i / c.w[3]!) % c.w[2]!, col = i % c.w[3]!;
      if (r < t.r0 || r > t.r1 || col < t.c0 || col > t.c1) assert.equal(w.grad!.values[i], 0, `${c.name}: dead tap ${i}`);
    }
    seed += 10;
  }
});

test('gradcheck: conv2d with dead taps', () => {
  let seed = 1000;
  for (const c of cases) {
    gradcheck((x, w, b) => ops.conv2d(x, w, b, c.opts), [param(c.x, seed), param(c.w, seed + 1), param([c.w[0]!], seed + 2)], { maxElements: 24 });
    seed += 10;
  }
});
