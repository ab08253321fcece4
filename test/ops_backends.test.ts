// The same small graph (conv, grouped conv, BN, pools, SE-style broadcast, concat, softmax CE)
// run forward and backward on every backend gives the same loss and gradients as reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, setBackend } from '../src/backend/index.js';
import * as ops from '../src/tensor/ops/index.js';
import { intTensor, tensor, type Tensor } from '../src/tensor/tensor.js';
import { backendsUnderTest } from './helpers/backends.js';
import { randomArray, relError } from './helpers/random.js';

function run(): { loss: number; grads: Float32Array[] } {
  const p = (shape: number[], seed: number): Tensor => tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape).requiresGrad_();
  const x = p([2, 4, 9, 9], 1);
  const w1 = p([8, 4, 3, 3], 2);
  const b1 = p([8], 3);
  const w2 = p([8, 2, 3, 3], 4);
  const gamma = p([8], 5);
  const beta = p([8], 6);
  const fc = p([16, 5], 7);
  const params = [x, w1, b1, w2, gamma, beta, fc];
  let h = ops.relu(ops.conv2d(x, w1, b1, { stride: 2, padding: [1, 0, 1, 0] }));
  h = ops.conv2d(h, w2, null, { padding: 1, groups: 4 });
  h = ops.batchNorm(h, gamma, beta, tensor(new Float32Array(8)), tensor(new Float32Array(8).fill(1)), { training: true });
  const se = ops.sigmoid(ops.globalAvgPool2d(h));
  h = ops.mul(h, se);
  const a = ops.maxPool2d(h, { kernel: 3, stride: 2, ceilMode: true });
  const b = ops.avgPool2d(h, { kernel: 3, stride: 2, ceilMode: true, padding: 1, exclusive: false });
  const c = ops.concat([ops.globalAvgPool2d(a), ops.globalAvgPool2d(b)], 1);
  const logits = ops.linear(ops.flatten(c), fc, null);
  const loss = ops.crossEntropy(logits, intTensor([3, 1]));
  const value = loss.item();
  loss.backward();
  return { loss: value, grads: params.map((t) => t.grad!.values.slice()) };
}

test('a mixed graph gives the same loss and gradients on every backend', () => {
  const prev = setBackend(referenceBackend());
  try {
    const ref = run();
    for (const be of backendsUnderTest()) {
      setBackend(be);
      const got = run();
      assert.ok(Math.abs(got.loss - ref.loss) < 1e-5 * Math.max(1, Math.abs(ref.loss)), `${be.name} loss ${got.loss} vs ${ref.loss}`);
      got.grads.forEach((g, i) => assert.ok(relError(g, ref.grads[i]!) < 1e-4, `${be.name} gradient of parameter ${i}: ${relError(g, ref.grads[i]!)}`));
    }
  } finally {
    setBackend(prev);
  }
});
