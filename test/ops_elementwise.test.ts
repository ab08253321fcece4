// Gradient checks and forward values for the elementwise ops, activations, matmul and linear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../src/tensor/ops/index.js';
import { tensor, type Tensor } from '../src/tensor/tensor.js';
import { awayFromKinks, gradcheck } from './helpers/gradcheck.js';
import { randomArray } from './helpers/random.js';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
function param(shape: number[], seed: number, scale = 1, shift = 0): Tensor {
  const v = randomArray(size(shape), seed);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * scale + shift;
  return tensor(v, shape).requiresGrad_();
}

test('broadcasting add/sub/mul/div: forward values', () => {
  const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tensor([10, 20, 30], [3]);
  const c = tensor([2, 4], [2, 1]);
  assert.deepEqual(ops.add(a, b).toArray(), [11, 22, 33, 14, 25, 36]);
  assert.deepEqual(ops.sub(a, c).toArray(), [-1, 0, 1, 0, 1, 2]);
  assert.deepEqual(ops.mul(c, b).toArray(), [20, 40, 60, 40, 80, 120]);
  assert.deepEqual(ops.div(a, c).toArray(), [0.5, 1, 1.5, 1, 1.25, 1.5]);
  assert.deepEqual(ops.mul(a, b).shape, [2, 3]);
  assert.throws(() => ops.add(a, tensor([1, 2], [2])), /broadcast/);
});

test('gradcheck: broadcasting add, sub, mul, div', () => {
  const shapes: [number[], number[]][] = [[[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [4]], [[2, 1, 4], [3, 1]], [[1], [2, 3]], [[3, 1, 5], [1, 4, 1]]];
  let seed = 1;
  for (const [sa, sb] of shapes) {
    gradcheck(ops.add, [param(sa, seed++), param(sb, seed++)]);
    gradcheck(ops.sub, [param(sa, seed++), param(sb, seed++)]);
    gradcheck(ops.mul, [param(sa, seed++), param(sb, seed++)]);
    gradcheck(ops.div, [param(sa, seed++), param(sb, seed++, 0.5, 2)], { eps: 1e-3 });
  }
});

test('gradcheck: scalar forms and unary math', () => {
  gradcheck((x) => ops.scale(x, -2.5), [param([3, 4], 11)]);
  gradcheck((x) => ops.addScalar(x, 0.75), [param([3, 4], 12)]);
  gradcheck(ops.neg, [param([3, 4], 13)]);
  gradcheck(ops.exp, [param([3, 4], 14)]);
  gradcheck(ops.log, [param([3, 4], 15, 0.4, 1)], { eps: 1e-3 });
  gradcheck(ops.sqrt, [param([3, 4], 16, 0.4, 1)], { eps: 1e-3 });
  gradcheck(ops.square, [param([3, 4], 17)]);
  gradcheck(ops.abs, [tensor(awayFromKinks(randomArray(12, 18), [0], 0.05), [3, 4]).requiresGrad_()]);
  gradcheck(ops.maximum, [param([3, 4], 19), param([4], 20)], { eps: 1e-3 });
  assert.deepEqual(ops.scale(tensor([1, -2]), 3).toArray(), [3, -6]);
  assert.deepEqual(ops.addScalar(tensor([1, -2]), 0.5).toArray(), [1.5, -1.5]);
});

test('activations: forward values (Paddle definitions)', () => {
  const x = tensor([-4, -1, 0.5, 3, 7]);
  const close = (t: Tensor, want: number[]): void => t.toArray().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `${v} vs ${want[i]}`));
  close(ops.relu(x), [0, 0, 0.5, 3, 7]);
  close(ops.relu6(x), [0, 0, 0.5, 3, 6]);
  close(ops.leakyRelu(x), [-0.08, -0.02, 0.5, 3, 7]);
  close(ops.leakyRelu(x, 0.1), [-0.4, -0.1, 0.5, 3, 7]);
  close(ops.sigmoid(x), [-4, -1, 0.5, 3, 7].map((v) => 1 / (1 + Math.exp(-v))));
  close(ops.tanh(x), [-4, -1, 0.5, 3, 7].map(Math.tanh));
  close(ops.swish(x), [-4, -1, 0.5, 3, 7].map((v) => v / (1 + Math.exp(-v))));
  close(ops.hardSwish(x), [0, -1 * 2 / 6, (0.5 * 3.5) / 6, 3, 7]);
  close(ops.hardSigmoid(x), [0, 0.3, 0.6, 1, 1]);
  close(ops.hardSigmoid(x, 1 / 6, 0.5), [0, 1 / 3, 0.5 + 0.5 / 6, 1, 1]);
});

test('gradcheck: every activation', () => {
  const xs = (seed: number, kinks: number[]): Tensor => {
    const v = randomArray(24, seed);
    for (let i = 0; i < v.length; i++) v[i] = v[i]! * 8; // [-8, 8): crosses every kink region
    return tensor(awayFromKinks(v, kinks, 0.05), [4, 6]).requiresGrad_();
  };
  gradcheck(ops.relu, [xs(21, [0])]);
  gradcheck(ops.relu6, [xs(22, [0, 6])]);
  gradcheck((x) => ops.leakyRelu(x), [xs(23, [0])]);
  gradcheck((x) => ops.leakyRelu(x, 0.3), [xs(24, [0])]);
  gradcheck(ops.sigmoid, [xs(25, [])]);
  gradcheck(ops.tanh, [xs(26, [])]);
  gradcheck(ops.swish, [xs(27, [])]);
  gradcheck(ops.hardSwish, [xs(28, [-3, 3])]);
  gradcheck((x) => ops.hardSigmoid(x), [xs(29, [-2.5, 2.5])]);
  gradcheck((x) => ops.hardSigmoid(x, 1 / 6, 0.5), [xs(30, [-3, 3])]);
});

test('matmul and linear: values and gradcheck', () => {
  const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tensor([1, 0, 0, 1, 1, 1], [3, 2]);
  assert.deepEqual(ops.matmul(a, b).toArray(), [4, 5, 10, 11]);
  assert.deepEqual(ops.linear(a, b, tensor([1, 2])).toArray(), [5, 7, 11, 13]);
  assert.deepEqual(ops.linear(a, b, null).toArray(), [4, 5, 10, 11]);
  gradcheck(ops.matmul, [param([3, 5], 31), param([5, 4], 32)]);
  gradcheck((x, w, bb) => ops.linear(x, w, bb), [param([4, 6], 33), param([6, 3], 34), param([3], 35)]);
  gradcheck((x, w) => ops.linear(x, w, null), [param([4, 6], 36), param([6, 3], 37)]);
  // only the bias needs a gradient
  const x = tensor(randomArray(8, 38), [2, 4]);
  const w = tensor(randomArray(12, 39), [4, 3]);
  gradcheck((bb) => ops.linear(x, w, bb), [param([3], 40)]);
  assert.throws(() => ops.linear(a, tensor([1, 2, 3, 4], [2, 2]), null), /does not match/);
});
