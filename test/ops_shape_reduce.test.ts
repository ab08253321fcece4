// Shape ops (reshape, flatten, transpose, slice, concat, split, pad) and reductions (sum, mean,
// max over one, several or all axes): values and gradchecks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../src/tensor/ops/index.js';
import { tensor, type Tensor } from '../src/tensor/tensor.js';
import { distinctValues, gradcheck } from './helpers/gradcheck.js';
import { randomArray } from './helpers/random.js';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const param = (shape: number[], seed: number): Tensor => tensor(randomArray(size(shape), seed), shape).requiresGrad_();
const ramp = (shape: number[]): Tensor => tensor(Float32Array.from({ length: size(shape) }, (_, i) => i), shape);

test('reshape / flatten: values, -1, and errors', () => {
  const x = ramp([2, 3, 4]);
  assert.deepEqual(ops.reshape(x, [4, -1]).shape, [4, 6]);
  assert.deepEqual(ops.reshape(x, [4, -1]).toArray(), x.toArray());
  assert.deepEqual(ops.flatten(x).shape, [2, 12]);
  assert.deepEqual(ops.flatten(x, 0).shape, [24]);
  assert.deepEqual(ops.flatten(ramp([2, 3, 1, 1])).shape, [2, 3]);
  assert.throws(() => ops.reshape(x, [5, -1]), /reshape/);
  assert.throws(() => ops.reshape(x, [-1, -1]), /-1/);
  gradcheck((t) => ops.reshape(t, [3, -1]), [param([2, 3, 2], 1)]);
  gradcheck((t) => ops.flatten(t), [param([2, 3, 2], 2)]);
});

test('transpose / permute: values and gradcheck', () => {
  const x = ramp([2, 3]);
  assert.deepEqual(ops.transpose(x, [1, 0]).toArray(), [0, 3, 1, 4, 2, 5]);
  const y = ops.permute(ramp([2, 3, 4]), [2, 0, 1]);
  assert.deepEqual(y.shape, [4, 2, 3]);
  assert.equal(y.toArray()[1 * 6 + 1 * 3 + 2], 1 * 12 + 2 * 4 + 1);
  gradcheck((t) => ops.transpose(t, [2, 0, 1]), [param([2, 3, 4], 3)]);
  gradcheck((t) => ops.transpose(t, [0, 2, 3, 1]), [param([2, 2, 3, 2], 4)]);
  assert.throws(() => ops.transpose(x, [0, 0]), /permutation/);
});

test('slice: values (negative and clamped indices) and gradcheck', () => {
  const x = ramp([3, 4]);
  assert.deepEqual(ops.slice(x, [1, 1], [3, 3]).toArray(), [5, 6, 9, 10]);
  assert.deepEqual(ops.slice(x, [-1], [100]).toArray(), [8, 9, 10, 11]);
  assert.deepEqual(ops.slice(x, [0, -2], [1, 4]).toArray(), [2, 3]);
  gradcheck((t) => ops.slice(t, [0, 1, 1], [2, 3, 4]), [param([2, 3, 4], 5)]);
});

test('concat / split: values, round trip, gradcheck', () => {
  const a = ramp([2, 2]);
  const b = tensor([10, 11, 12, 13, 14, 15], [2, 3]);
  const c = ops.concat([a, b], 1);
  assert.deepEqual(c.shape, [2, 5]);
  assert.deepEqual(c.toArray(), [0, 1, 10, 11, 12, 2, 3, 13, 14, 15]);
  assert.deepEqual(ops.concat([a, a], 0).toArray(), [0, 1, 2, 3, 0, 1, 2, 3]);
  const [p, q] = ops.split(c, [2, 3], 1);
  assert.deepEqual(p!.toArray(), a.toArray());
  assert.deepEqual(q!.toArray(), b.toArray());
  assert.equal(ops.split(ramp([4, 6]), 3, 1).length, 3);
  assert.throws(() => ops.split(ramp([4, 6]), 4, 1), /equal/);
  gradcheck((x, y) => ops.concat([x, y], 1), [param([2, 2, 3], 6), param([2, 3, 3], 7)]);
  gradcheck((x, y, z) => ops.concat([x, y, z], 0), [param([1, 3], 8), param([2, 3], 9), param([1, 3], 10)]);
  // split parts weighted differently and recombined: every part's gradient lands in place
  gradcheck((x) => {
    const parts = ops.split(x, [1, 2, 1], 1);
    return ops.concat([ops.scale(parts[2]!, 3), parts[0]!, ops.square(parts[1]!)], 1);
  }, [param([2, 4, 2], 11)]);
});

test('pad: values and gradcheck', () => {
  const x = ramp([2, 2]);
  const y = ops.pad(x, [1, 0, 0, 2], -1);
  assert.deepEqual(y.shape, [3, 4]);
  assert.deepEqual(y.toArray(), [-1, -1, -1, -1, 0, 1, -1, -1, 2, 3, -1, -1]);
  assert.deepEqual(ops.pad(ramp([1, 1, 2, 2]), [0, 0, 0, 0, 1, 1, 1, 1]).shape, [1, 1, 4, 4]);
  gradcheck((t) => ops.pad(t, [0, 0, 1, 2, 2, 1]), [param([2, 2, 3], 12)]);
});

test('sum / mean / max: values over one axis, several, all, keepDims', () => {
  const x = tensor([1, 5, 3, 4, 2, 6], [2, 3]);
  assert.deepEqual(ops.sum(x).toArray(), [21]);
  assert.deepEqual(ops.sum(x).shape, []);
  assert.deepEqual(ops.sum(x, 0).toArray(), [5, 7, 9]);
  assert.deepEqual(ops.sum(x, 1, true).shape, [2, 1]);
  assert.deepEqual(ops.mean(x, -1).toArray(), [3, 4]);
  assert.deepEqual(ops.max(x, 1).toArray(), [5, 6]);
  assert.deepEqual(ops.max(x).toArray(), [6]);
  assert.deepEqual(ops.sum(ramp([2, 3, 4]), [0, 2]).toArray(), [0 + 1 + 2 + 3 + 12 + 13 + 14 + 15, 22 + 70, 38 + 86]);
  assert.deepEqual(ops.mean(ramp([2, 3, 4]), [0, 2], true).shape, [1, 3, 1]);
});

test('gradcheck: reductions', () => {
  gradcheck((t) => ops.sum(t), [param([2, 3, 4], 20)]);
  gradcheck((t) => ops.mean(t), [param([2, 3, 4], 21)]);
  gradcheck((t) => ops.sum(t, 1), [param([2, 3, 4], 22)]);
  gradcheck((t) => ops.mean(t, [0, 2], true), [param([2, 3, 4], 23)]);
  gradcheck((t) => ops.mean(t, -1), [param([2, 3, 4], 24)]);
  const d = (shape: number[], seed: number): Tensor => tensor(distinctValues(size(shape), seed), shape).requiresGrad_();
  gradcheck((t) => ops.max(t, 1), [d([2, 3, 4], 25)], { eps: 1e-3 });
  gradcheck((t) => ops.max(t, [1, 2]), [d([2, 3, 4], 26)], { eps: 1e-3 });
  gradcheck((t) => ops.max(t), [d([2, 3, 4], 27)], { eps: 1e-3 });
});
