// softmax / logSoftmax (any axis) and crossEntropy (hard and soft, every reduction): values and gradchecks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../src/tensor/ops/index.js';
import { intTensor, tensor, type Tensor } from '../src/tensor/tensor.js';
import { gradcheck } from './helpers/gradcheck.js';
import { randomArray, relError } from './helpers/random.js';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const param = (shape: number[], seed: number, scale = 2): Tensor => {
  const v = randomArray(size(shape), seed);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * scale;
  return tensor(v, shape).requiresGrad_();
};

test('softmax/logSoftmax: values on the last and on other axes', () => {
  const x = tensor([0, Math.log(3), 1, 1], [2, 2]);
  assert.ok(relError(ops.softmax(x).toArray(), [0.25, 0.75, 0.5, 0.5]) < 1e-6);
  assert.ok(relError(ops.logSoftmax(x).toArray(), [Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)]) < 1e-6);
  // axis 0: columns [0, 1] and [ln 3, 1]
  const s0 = ops.softmax(x, 0).toArray();
  const e = Math.E;
  assert.ok(relError(s0, [1 / (1 + e), 3 / (3 + e), e / (1 + e), e / (3 + e)]) < 1e-6);
  const y = ops.softmax(tensor(randomArray(2 * 3 * 4, 1), [2, 3, 4]), 1);
  const sums = ops.sum(y, 1).toArray();
  assert.ok(relError(sums, new Array(8).fill(1)) < 1e-6);
});

test('gradcheck: softmax and logSoftmax on every axis', () => {
  for (const axis of [-1, 0, 1, 2]) {
    gradcheck((x) => ops.softmax(x, axis), [param([2, 3, 4], 10 + axis)]);
    gradcheck((x) => ops.logSoftmax(x, axis), [param([2, 3, 4], 20 + axis)]);
  }
});

test('crossEntropy: hand-checked values and reductions', () => {
  const logits = tensor([0, Math.log(3), 2, 2], [2, 2]);
  const labels = intTensor([1, 0]);
  const none = ops.crossEntropy(logits, labels, { reduction: 'none' });
  assert.deepEqual(none.shape, [2]);
  assert.ok(relError(none.toArray(), [-Math.log(0.75), Math.log(2)]) < 1e-6);
  const sum = ops.crossEntropy(logits, labels, { reduction: 'sum' }).item();
  const mean = ops.crossEntropy(logits, labels).item();
  assert.ok(Math.abs(sum - (Math.log(2) - Math.log(0.75))) < 1e-6);
  assert.ok(Math.abs(mean - sum / 2) < 1e-6);
  const soft = ops.crossEntropy(logits, tensor([0, 1, 0.5, 0.5], [2, 2]), { reduction: 'none' });
  assert.ok(relError(soft.toArray(), [-Math.log(0.75), Math.log(2)]) < 1e-6);
  assert.throws(() => ops.crossEntropy(logits, intTensor([0, 1, 1])), /target/);
});

test('gradcheck: crossEntropy hard and soft, mean / sum / none', () => {
  const labels = intTensor([2, 0, 4, 1]);
  const u = randomArray(20, 33);
  const soft = new Float32Array(20);
  for (let r = 0; r < 4; r++) {
    let s = 0;
    for (let j = 0; j < 5; j++) s += soft[r * 5 + j] = Math.abs(u[r * 5 + j]!) + 0.05;
    for (let j = 0; j < 5; j++) soft[r * 5 + j] = soft[r * 5 + j]! / s;
  }
  const target = tensor(soft, [4, 5]);
  let seed = 40;
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    gradcheck((x) => ops.crossEntropy(x, labels, { reduction }), [param([4, 5], seed++)]);
    gradcheck((x) => ops.crossEntropy(x, target, { reduction }), [param([4, 5], seed++)]);
  }
  // large logits stay finite
  const big = tensor([1000, 0, -1000, 1000], [2, 2]).requiresGrad_();
  const l = ops.crossEntropy(big, intTensor([1, 0]));
  assert.ok(Number.isFinite(l.item()) && Math.abs(l.item() - 1500) < 1e-3) // rows lose 1000 and 2000;
  l.backward();
  assert.ok(relError(big.grad!.toArray(), [0.5, -0.5, -0.5, 0.5]) < 1e-6);
});
