// dropout (both Paddle modes, train and eval) and argmax / topk / accuracy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../src/tensor/ops/index.js';
import { intTensor, tensor } from '../src/tensor/tensor.js';
import { gradcheck } from './helpers/gradcheck.js';
import { randomArray, rng } from './helpers/random.js';

test('dropout downgrade_in_infer: train x*mask, eval x*(1-p)', () => {
  const x = tensor(new Float32Array(10000).fill(2));
  const y = ops.dropout(x, 0.3, { training: true, random: rng(1) }).toArray();
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(y.every((v) => v === 0 || v === 2));
  assert.ok(Math.abs(zeros / 10000 - 0.3) < 0.02, `dropped ${zeros}`);
  assert.deepEqual(ops.dropout(tensor([1, 2]), 0.3, { training: false }).toArray().map((v) => +v.toFixed(6)), [0.7, 1.4]);
});

test('dropout upscale_in_train: train x*mask/(1-p), eval x', () => {
  const x = tensor(new Float32Array(1000).fill(1));
  const y = ops.dropout(x, 0.5, { training: true, mode: 'upscale_in_train', random: rng(2) }).toArray();
  assert.ok(y.every((v) => v === 0 || v === 2));
  assert.deepEqual(ops.dropout(tensor([1, 2]), 0.5, { training: false, mode: 'upscale_in_train' }).toArray(), [1, 2]);
  const all = ops.dropout(tensor([1, 2]), 1, { training: true, mode: 'upscale_in_train' }).toArray();
  assert.deepEqual(all, [0, 0]);
});

test('gradcheck: dropout (same mask each evaluation)', () => {
  const x = tensor(randomArray(40, 3), [4, 10]).requiresGrad_();
  gradcheck((t) => ops.dropout(t, 0.4, { training: true, random: rng(7) }), [x]);
  const z = tensor(randomArray(40, 4), [4, 10]).requiresGrad_();
  gradcheck((t) => ops.dropout(t, 0.4, { training: true, mode: 'upscale_in_train', random: rng(8) }), [z]);
  const e = tensor(randomArray(8, 5), [2, 4]).requiresGrad_();
  gradcheck((t) => ops.dropout(t, 0.25, { training: false }), [e]);
});

test('argmax, topk and accuracy', () => {
  const x = tensor([0.1, 0.7, 0.2, 0.9, 0.05, 0.05, 0.3, 0.3, 0.4], [3, 3]);
  const am = ops.argmax(x);
  assert.equal(am.dtype, 'int32');
  assert.deepEqual(am.toArray(), [1, 0, 2]);
  assert.deepEqual(ops.argmax(x, 0).toArray(), [1, 0, 2]);
  assert.deepEqual(ops.argmax(tensor([1, 3, 3, 2])).toArray(), [1]);
  const { values, indices } = ops.topk(x, 2);
  assert.deepEqual(indices.toArray(), [1, 2, 0, 1, 2, 0]);
  assert.deepEqual(values.shape, [3, 2]);
  assert.deepEqual(values.toArray().map((v) => +v.toFixed(4)), [0.7, 0.2, 0.9, 0.05, 0.4, 0.3]);
  const labels = intTensor([1, 2, 0]); // the second row ties 0.05 / 0.05: top-2 keeps index 1, not 2
  assert.equal(ops.accuracy(x, labels), 1 / 3);
  assert.equal(ops.accuracy(x, labels, 2), 2 / 3);
  assert.equal(ops.accuracy(x, labels, 3), 1);
  assert.throws(() => ops.topk(x, 4), /k/);
});
