// Tape behaviour: accumulation, fan-out, pass-through gradients, noGrad, single use of a graph,
// freeing of intermediates, and that the gradient checker itself catches a wrong backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../src/tensor/ops/index.js';
import { record } from '../src/tensor/autograd.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { gradcheck } from './helpers/gradcheck.js';

test('gradients accumulate across two backward() calls until zeroGrad', () => {
  const x = tensor([1, 2, 3]).requiresGrad_();
  ops.sum(ops.square(x)).backward();
  assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
  ops.sum(ops.scale(x, 3)).backward();
  assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
  x.zeroGrad();
  assert.equal(x.grad, null);
  ops.sum(x).backward();
  assert.deepEqual(x.grad!.toArray(), [1, 1, 1]);
});

test('fan-out: a tensor used twice (and an intermediate used twice) sums its gradients', () => {
  const x = tensor([1, -2, 3]).requiresGrad_();
  ops.sum(ops.mul(x, x)).backward();
  assert.deepEqual(x.grad!.toArray(), [2, -4, 6]);
  const y = tensor([1, -2, 3]).requiresGrad_();
  const h = ops.scale(y, 2); // used by both branches
  ops.sum(ops.add(ops.mul(h, h), h)).backward(); // d/dy (4y^2 + 2y) = 8y + 2
  assert.deepEqual(y.grad!.toArray(), [10, -14, 26]);
});

test('pass-through gradients (add) reach both leaves as separate tensors', () => {
  const a = tensor([1, 2]).requiresGrad_();
  const b = tensor([3, 4]).requiresGrad_();
  ops.add(a, b).backward(tensor([0.5, -1]));
  assert.deepEqual(a.grad!.toArray(), [0.5, -1]);
  assert.deepEqual(b.grad!.toArray(), [0.5, -1]);
  assert.notEqual(a.grad!.values, b.grad!.values);
  a.grad!.values[0] = 100;
  assert.equal(b.grad!.values[0], 0.5);
  const c = tensor([1, 1]).requiresGrad_();
  ops.sum(ops.add(c, c)).backward();
  assert.deepEqual(c.grad!.toArray(), [2, 2]);
  // an explicit output gradient is not consumed or modified by backward
  const g = tensor([1, 2]);
  const d = tensor([0, 0]).requiresGrad_();
  ops.addScalar(d, 1).backward(g);
  assert.deepEqual(g.toArray(), [1, 2]);
  d.grad!.values[0] = 9;
  assert.deepEqual(g.toArray(), [1, 2]);
});

test('noGrad records nothing; inputs without requiresGrad record nothing', () => {
  const x = tensor([1, 2]).requiresGrad_();
  const y = noGrad(() => ops.relu(ops.mul(x, x)));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradNode, null);
  const z = ops.mul(tensor([1, 2]), tensor([3, 4]));
  assert.equal(z.requiresGrad, false);
  assert.throws(() => z.backward(), /does not require/);
  const w = ops.mul(x, x);
  assert.equal(w.requiresGrad, true);
  assert.equal(w.gradNode!.op, 'mul');
});

test('backward twice on the same graph throws; a non-scalar root needs a gradient', () => {
  const x = tensor([1, 2]).requiresGrad_();
  const loss = ops.sum(ops.square(x));
  loss.backward();
  assert.throws(() => loss.backward(), /already|require/);
  const v = ops.square(x);
  assert.throws(() => v.backward(), /non-scalar/);
});

test('backward frees intermediates, keeps leaves, the root and kept tensors readable', () => {
  const x = tensor([1, -2, 3, -4], [2, 2]).requiresGrad_();
  const w = tensor([1, 0, 0, 1], [2, 2]).requiresGrad_();
  const h = ops.matmul(x, w);
  const r = ops.relu(h).keep();
  const s = ops.scale(r, 2);
  const loss = ops.sum(s);
  loss.backward();
  assert.equal(h.isFreed, true);
  assert.equal(s.isFreed, true);
  assert.equal(r.isFreed, false);
  assert.deepEqual(r.toArray(), [1, 0, 3, 0]);
  assert.equal(loss.item(), 8);
  assert.deepEqual(x.toArray(), [1, -2, 3, -4]);
  assert.deepEqual(x.grad!.toArray(), [2, 0, 2, 0]);
  assert.throws(() => h.values, /freed/);
});

test('a partially frozen graph: gradients only where required', () => {
  const x = tensor([1, 2]);
  const w = tensor([3, 4]).requiresGrad_();
  ops.sum(ops.mul(x, w)).backward();
  assert.equal(x.grad, null);
  assert.deepEqual(w.grad!.toArray(), [1, 2]);
});

test('gradcheck catches a wrong backward', () => {
  const wrongSquare = (x: Tensor): Tensor => {
    const out = ops.square(x).detach();
    return record(new Tensor(out.values.slice(), x.shape), 'wrong_square', [x], (gy) => [ops.scale(gy.detach(), 1)]);
  };
  assert.throws(() => gradcheck(wrongSquare, [tensor([0.5, 1.5, -2]).requiresGrad_()]), /gradcheck failed/);
  // and passes the right one
  const res = gradcheck(ops.square, [tensor([0.5, 1.5, -2]).requiresGrad_()]);
  assert.ok(res.worst < 1e-2 && res.checked === 3);
});
