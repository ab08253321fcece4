// End to end through the ops only: a tiny conv-bn-relu-pool-conv-bn-relu-globalpool-linear
// network trained with plain SGD must learn a fixed synthetic task (which of four 3-cell
// strokes - horizontal, vertical, diagonal, anti-diagonal - appears somewhere in a noisy 8x8
// image). Small enough to run on the reference backend in well under a second per step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/backend/index.js';
import * as ops from '../src/tensor/ops/index.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { Tensor, intTensor, tensor, zeros, ones } from '../src/tensor/tensor.js';
import { rng } from './helpers/random.js';

const SIZE = 8;
const STROKES: [number, number][][] = [
  [[0, 0], [0, 1], [0, 2]],
  [[0, 0], [1, 0], [2, 0]],
  [[0, 0], [1, 1], [2, 2]],
  [[0, 2], [1, 1], [2, 0]],
];

function dataset(n: number, seed: number): { x: Tensor; y: Tensor } {
  const r = rng(seed);
  const x = new Float32Array(n * SIZE * SIZE);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = i % 4;
    y[i] = cls;
    const o = i * SIZE * SIZE;
    for (let j = 0; j < SIZE * SIZE; j++) x[o + j] = (r() - 0.5) * 0.2;
    const top = Math.floor(r() * (SIZE - 2));
    const left = Math.floor(r() * (SIZE - 2));
    for (const [dy, dx] of STROKES[cls]!) x[o + (top + dy) * SIZE + left + dx] = 1;
  }
  return { x: tensor(x, [n, 1, SIZE, SIZE]), y: intTensor(y) };
}

function init(shape: number[], fanIn: number, r: () => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const bound = Math.sqrt(6 / fanIn);
  return tensor(Float32Array.from({ length: n }, () => (r() * 2 - 1) * bound), shape).requiresGrad_();
}

test('a small CNN trained with SGD through the ops learns the stroke task', () => {
  const r = rng(2024);
  const w1 = init([6, 1, 3, 3], 9, r);
  const g1 = ones([6]).requiresGrad_();
  const b1 = zeros([6]).requiresGrad_();
  const m1 = zeros([6]);
  const v1 = ones([6]);
  const w2 = init([8, 6, 3, 3], 54, r);
  const g2 = ones([8]).requiresGrad_();
  const b2 = zeros([8]).requiresGrad_();
  const m2 = zeros([8]);
  const v2 = ones([8]);
  const fw = init([8, 4], 8, r);
  const fb = zeros([4]).requiresGrad_();
  const params = [w1, g1, b1, w2, g2, b2, fw, fb];

  const forward = (x: Tensor, training: boolean): Tensor => {
    let h = ops.conv2d(x, w1, null, { padding: 1 });
    h = ops.relu(ops.batchNorm(h, g1, b1, m1, v1, { training }));
    h = ops.maxPool2d(h, { kernel: 2, stride: 2 });
    h = ops.conv2d(h, w2, null, { padding: 1 });
    h = ops.relu(ops.batchNorm(h, g2, b2, m2, v2, { training }));
    h = ops.flatten(ops.globalAvgPool2d(h));
    return ops.linear(h, fw, fb);
  };

  const train = dataset(64, 1);
  const be = getBackend();
  const lr = 0.2;
  const losses: number[] = [];
  let lastAcc = 0;
  for (let step = 0; step < 60; step++) {
    const logits = forward(train.x, true).keep();
    const loss = ops.crossEntropy(logits, train.y);
    losses.push(loss.item());
    lastAcc = ops.accuracy(logits, train.y);
    loss.backward();
    logits.free();
    for (const p of params) {
      be.axpby(-lr, p.grad!.values, 1, p.values);
      p.zeroGrad();
    }
  }
  if (process.env["IMCLS_DEBUG_TRAIN"]) console.log(losses.map((l) => l.toFixed(3)).join(" "), lastAcc);
  const first = losses[0]!;
  const last = losses[losses.length - 1]!;
  assert.ok(last < 0.5 * first, `loss ${first.toFixed(4)} -> ${last.toFixed(4)}`);
  assert.ok(lastAcc > 0.9, `training accuracy ${lastAcc}`);
  // held-out images, batch norm in inference mode (running statistics)
  const test = dataset(64, 2);
  const acc = noGrad(() => ops.accuracy(forward(test.x, false), test.y));
  if (process.env["IMCLS_DEBUG_TRAIN"]) console.log("held-out", acc);
  assert.ok(acc > 0.8, `held-out accuracy ${acc}`);
});
