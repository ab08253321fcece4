// Pool and batch-norm ops: gradient checks (ceil mode, asymmetric padding, exclusive/inclusive,
// adaptive bins; BN training w.r.t. x, gamma, beta and inference) and running-statistics updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../src/tensor/ops/index.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { tensor, type Tensor } from '../src/tensor/tensor.js';
import { distinctValues, gradcheck } from './helpers/gradcheck.js';
import { randomArray, relError } from './helpers/random.js';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const param = (shape: number[], seed: number): Tensor => tensor(randomArray(size(shape), seed), shape).requiresGrad_();
const distinct = (shape: number[], seed: number): Tensor => tensor(distinctValues(size(shape), seed, 0.05), shape).requiresGrad_();

test('gradcheck: max pooling (padding, ceil mode, asymmetric padding)', () => {
  const variants: ops.Pool2dOpOptions[] = [
    { kernel: 2, stride: 2 },
    { kernel: 3, stride: 2, padding: 1 },
    { kernel: 3, stride: 2, ceilMode: true },
    { kernel: 2, stride: 2, padding: [0, 1, 1, 0], ceilMode: true },
    { kernel: [2, 3], stride: [1, 2], padding: [1, 1] },
  ];
  let seed = 1000;
  for (const v of variants) gradcheck((x) => ops.maxPool2d(x, v), [distinct([2, 2, 5, 5], seed++)], { eps: 1e-3 });
});

test('gradcheck: average pooling (exclusive, inclusive, ceil mode, asymmetric), global and adaptive', () => {
  const variants: ops.AvgPool2dOpOptions[] = [
    { kernel: 2, stride: 2 },
    { kernel: 3, stride: 1, padding: 1 },
    { kernel: 3, stride: 1, padding: 1, exclusive: false },
    { kernel: 3, stride: 2, ceilMode: true },
    { kernel: 3, stride: 2, padding: [1, 0, 0, 2], ceilMode: true, exclusive: false },
  ];
  let seed = 1100;
  for (const v of variants) gradcheck((x) => ops.avgPool2d(x, v), [param([2, 2, 5, 5], seed++)]);
  gradcheck(ops.globalAvgPool2d, [param([2, 3, 4, 5], seed++)]);
  gradcheck((x) => ops.adaptiveAvgPool2d(x, [2, 3]), [param([1, 2, 5, 7], seed++)]);
  gradcheck((x) => ops.adaptiveAvgPool2d(x, [2, 2]), [param([1, 2, 4, 6], seed++)]);
});

test('pool ops: shapes and values', () => {
  const x = tensor(Float32Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]);
  assert.deepEqual(ops.maxPool2d(x, { kernel: 2, stride: 2 }).toArray(), [5, 7, 13, 15]);
  assert.deepEqual(ops.globalAvgPool2d(x).toArray(), [7.5]);
  assert.deepEqual(ops.globalAvgPool2d(x).shape, [1, 1, 1, 1]);
  // adaptive 4 -> 3: bins [0,2), [1,3), [2,4) on both axes (Paddle's floor/ceil bins)
  const a = ops.adaptiveAvgPool2d(x, [3, 3]).toArray();
  assert.deepEqual(a, [2.5, 3.5, 4.5, 6.5, 7.5, 8.5, 10.5, 11.5, 12.5]);
  assert.deepEqual(ops.adaptiveAvgPool2d(x, [2, 2]).toArray(), [2.5, 4.5, 10.5, 12.5]);
  assert.deepEqual(ops.maxPool2d(tensor(new Float32Array(2 * 3 * 7 * 7), [2, 3, 7, 7]), { kernel: 3, stride: 2, ceilMode: true }).shape, [2, 3, 3, 3]);
});

test('gradcheck: batchNorm training w.r.t. x, gamma and beta (4-D and 2-D input)', () => {
  const c = 3;
  const rm = tensor(new Float32Array(c), [c]);
  const rv = tensor(new Float32Array(c).fill(1), [c]);
  const bn = (x: Tensor, g: Tensor, b: Tensor): Tensor => ops.batchNorm(x, g, b, rm, rv, { training: true });
  gradcheck(bn, [param([2, c, 3, 3], 1200), param([c], 1201), param([c], 1202)]);
  gradcheck(bn, [param([6, c], 1203), param([c], 1204), param([c], 1205)]);
});

test('gradcheck: batchNorm inference (frozen statistics)', () => {
  const c = 3;
  const rm = tensor(randomArray(c, 1210), [c]);
  const rv = tensor(Float32Array.from([0.5, 1, 2]), [c]);
  const bn = (x: Tensor, g: Tensor, b: Tensor): Tensor => ops.batchNorm(x, g, b, rm, rv, { training: false });
  gradcheck(bn, [param([2, c, 2, 3], 1211), param([c], 1212), param([c], 1213)]);
});

test('batchNorm: running statistics update in place with biased batch variance', () => {
  const x = tensor([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 2]); // [N=2, C=2, L=2]
  const rm = tensor([0, 1], [2]);
  const rv = tensor([1, 1], [2]);
  const g = tensor([1, 1]);
  const b = tensor([0, 0]);
  const y = noGrad(() => ops.batchNorm(x, g, b, rm, rv, { training: true, momentum: 0.9, eps: 1e-5 }));
  // channel 0: 1, 2, 10, 20 -> mean 8.25, var 58.1875; channel 1: 3, 4, 30, 40 -> mean 19.25, var 260.6875
  assert.ok(relError(rm.toArray(), [0.1 * 8.25, 0.9 + 0.1 * 19.25]) < 1e-6);
  assert.ok(relError(rv.toArray(), [0.9 + 0.1 * 58.1875, 0.9 + 0.1 * 260.6875]) < 1e-6);
  const yv = y.toArray();
  assert.ok(Math.abs((yv[0]! * Math.sqrt(58.1875 + 1e-5)) - (1 - 8.25)) < 1e-4);
  // inference uses the running statistics
  const z = ops.batchNorm(tensor([5, 5], [1, 2]), g, b, rm, rv, { training: false, eps: 0 }).toArray();
  assert.ok(Math.abs(z[0]! - (5 - rm.toArray()[0]!) / Math.sqrt(rv.toArray()[0]!)) < 1e-5);
});
