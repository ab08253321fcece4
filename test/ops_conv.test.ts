// conv2d op: gradient checks over the geometry variants (x, weight and bias).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../src/tensor/ops/index.js';
import { tensor, type Tensor } from '../src/tensor/tensor.js';
import { gradcheck } from './helpers/gradcheck.js';
import { randomArray } from './helpers/random.js';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const param = (shape: number[], seed: number): Tensor => tensor(randomArray(size(shape), seed), shape).requiresGrad_();

const cases: { name: string; x: number[]; w: number[]; opts: ops.Conv2dOpOptions }[] = [
  { name: '3x3 p1', x: [2, 2, 5, 5], w: [3, 2, 3, 3], opts: { padding: 1 } },
  { name: '3x3 s2 odd', x: [1, 2, 7, 7], w: [2, 2, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'asymmetric padding', x: [1, 2, 5, 4], w: [2, 2, 3, 3], opts: { padding: [1, 0, 2, 1] } },
  { name: 'dilated', x: [1, 2, 7, 7], w: [2, 2, 3, 3], opts: { padding: 2, dilation: 2 } },
  { name: 'grouped', x: [2, 4, 5, 5], w: [4, 2, 3, 3], opts: { padding: 1, groups: 2 } },
  { name: 'depthwise s2', x: [1, 3, 6, 6], w: [3, 1, 3, 3], opts: { stride: 2, padding: 1, groups: 3 } },
  { name: '1x1', x: [2, 3, 3, 3], w: [4, 3, 1, 1], opts: {} },
];

test('gradcheck: conv2d with and without bias over geometry variants', () => {
  let seed = 500;
  for (const c of cases) {
    gradcheck((x, w) => ops.conv2d(x, w, null, c.opts), [param(c.x, seed), param(c.w, seed + 1)], { maxElements: 24 });
    gradcheck((x, w, b) => ops.conv2d(x, w, b, c.opts), [param(c.x, seed + 2), param(c.w, seed + 3), param([c.w[0]!], seed + 4)], { maxElements: 24 });
    seed += 10;
  }
});

test('conv2d: gradient only where asked (frozen weight, bias-only)', () => {
  const x = param([1, 2, 4, 4], 600);
  const w = tensor(randomArray(2 * 2 * 9, 601), [2, 2, 3, 3]);
  gradcheck((xx) => ops.conv2d(xx, w, null, { padding: 1 }), [x]);
  const xf = tensor(randomArray(32, 602), [1, 2, 4, 4]);
  gradcheck((b) => ops.conv2d(xf, w, b, { padding: 1 }), [param([2], 603)]);
  const y = ops.conv2d(xf, w, null, {});
  assert.equal(y.requiresGrad, false);
  assert.deepEqual(y.shape, [1, 2, 2, 2]);
});
