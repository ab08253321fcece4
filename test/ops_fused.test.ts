// Fused training ops: batchNormAct (batch norm + rectifier in one kernel, mask read from the
// output) and addAct (residual add + rectifier). Each is checked against finite differences and
// against the unfused composition it replaces, values and gradients, on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, RectifierActivation } from '../src/backend/backend.js';
import { setBackend } from '../src/backend/index.js';
import * as ops from '../src/tensor/ops/index.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { tensor, type Tensor } from '../src/tensor/tensor.js';
import { backendsUnderTest } from './helpers/backends.js';
import { awayFromKinks, distinctValues, gradcheck } from './helpers/gradcheck.js';
import { randomArray, relError } from './helpers/random.js';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const leaf = (values: Float32Array, shape: number[]): Tensor => tensor(values, shape).requiresGrad_();
const ACTS: RectifierActivation[] = ['none', 'relu', 'relu6', 'leaky_relu'];

function onBackend<T>(be: Backend, fn: () => T): T {
  const prev = setBackend(be);
  try {
    return fn();
  } finally {
    setBackend(prev);
  }
}

/** act through the unfused ops (alpha as the fused op's default). */
function actOp(act: RectifierActivation, y: Tensor): Tensor {
  if (act === 'relu') return ops.relu(y);
  if (act === 'relu6') return ops.relu6(y);
  if (act === 'leaky_relu') return ops.leakyRelu(y, 0.02);
  return y;
}

test('gradcheck: batchNormAct training w.r.t. x, gamma and beta for every rectifier', () => {
  const c = 3;
  let seed = 4100;
  for (const act of ACTS) {
    const rm = tensor(new Float32Array(c), [c]);
    const rv = tensor(new Float32Array(c).fill(1), [c]);
    // gamma and beta large enough that relu6 clips some outputs at 6 as well as at 0
    const gamma = leaf(Float32Array.from([3, -4, 5]), [c]);
    const beta = leaf(Float32Array.from([2, 0.5, 3]), [c]);
    const x = leaf(distinctValues(size([2, c, 3, 3]), seed++, 0.05), [2, c, 3, 3]);
    const f = (xx: Tensor, g: Tensor, b: Tensor): Tensor => ops.batchNormAct(xx, g, b, rm, rv, { training: true, act });
    gradcheck(f, [x, gamma, beta], { eps: 1e-3, tol: 2e-2 });
  }
});

test('batchNormAct equals batchNorm then the activation (values, gradients, running statistics) on every backend', () => {
  const shape = [3, 4, 5, 22]; // planes of 110: SIMD body and tail
  const c = shape[1]!;
  for (const be of backendsUnderTest()) {
    for (const act of ACTS) {
      const run = (fused: boolean): { y: Float32Array; grads: Float32Array[]; rm: Float32Array; rv: Float32Array } =>
        onBackend(be, () => {
          const x = leaf(randomArray(size(shape), 4200), shape);
          const gamma = leaf(Float32Array.from([2.5, -1, 4, 0.5]), [c]);
          const beta = leaf(Float32Array.from([1, 0.2, 3, -0.5]), [c]);
          const rm = tensor(randomArray(c, 4201), [c]);
          const rv = tensor(new Float32Array(c).fill(2), [c]);
          const opts = { training: true, momentum: 0.8, eps: 1e-5 };
          const y = fused ? ops.batchNormAct(x, gamma, beta, rm, rv, { ...opts, act }) : actOp(act, ops.batchNorm(x, gamma, beta, rm, rv, opts));
          const yv = y.values.slice();
          y.backward(tensor(randomArray(y.size, 4202), shape));
          return { y: yv, grads: [x, gamma, beta].map((t) => t.grad!.values.slice()), rm: rm.values.slice(), rv: rv.values.slice() };
        });
      const u = run(false);
      const f = run(true);
      // The fused kernels round exactly as the unfused pair: bit-identical, not merely close.
      assert.deepEqual(f.y, u.y, `${be.name} ${act}: output`);
      f.grads.forEach((g, i) => assert.deepEqual(g, u.grads[i]!, `${be.name} ${act}: gradient ${i}`));
      assert.deepEqual([f.rm, f.rv], [u.rm, u.rv], `${be.name} ${act}: running statistics`);
      if (act === 'relu6') assert.ok(f.y.some((v) => v === 6) && f.y.some((v) => v === 0), 'the relu6 case clips at both ends');
    }
  }
});

test('batchNormAct: native matches reference on a shape with a SIMD tail', () => {
  const backends = backendsUnderTest();
  if (backends.length < 2) return;
  const shape = [2, 3, 7, 9];
  const out = backends.map((be) =>
    onBackend(be, () => {
      const x = leaf(randomArray(size(shape), 4300), shape);
      const gamma = leaf(Float32Array.from([2, -3, 1]), [3]);
      const beta = leaf(Float32Array.from([0.5, 1, -0.2]), [3]);
      const y = ops.batchNormAct(x, gamma, beta, tensor(new Float32Array(3), [3]), tensor(new Float32Array(3).fill(1), [3]), { training: true, act: 'relu' });
      const yv = y.values.slice();
      y.backward(tensor(randomArray(y.size, 4301), shape));
      return [yv, x.grad!.values.slice(), gamma.grad!.values.slice(), beta.grad!.values.slice()];
    }),
  );
  out[0]!.forEach((r, i) => assert.ok(relError(out[1]![i]!, r) < 1e-5, `item ${i}: ${relError(out[1]![i]!, r)}`));
});

test('gradcheck: addAct w.r.t. both inputs for every rectifier', () => {
  let seed = 4400;
  for (const act of ACTS) {
    const shape = [2, 3, 4, 5];
    // sums at least 0.01 from the kinks (0, and 6 for relu6) so no finite difference crosses one
    const sum = awayFromKinks(Float32Array.from(randomArray(size(shape), seed++), (v) => v * 8), [0, 6], 0.01);
    const bv = randomArray(size(shape), seed++);
    const a = leaf(sum.map((v, i) => v - bv[i]!), shape);
    const b = leaf(bv, shape);
    gradcheck((p, q) => ops.addAct(p, q, act), [a, b], { eps: 1e-4, tol: 2e-2 });
  }
});

test('addAct equals add then the activation on every backend; broadcasting and aliasing fall back correctly', () => {
  const shape = [2, 4, 3, 5];
  for (const be of backendsUnderTest()) {
    for (const act of ACTS) {
      const run = (fused: boolean): Float32Array[] =>
        onBackend(be, () => {
          const a = leaf(Float32Array.from(randomArray(size(shape), 4500), (v) => v * 8), shape);
          const b = leaf(randomArray(size(shape), 4501), shape);
          const y = fused ? ops.addAct(a, b, act) : actOp(act, ops.add(a, b));
          const yv = y.values.slice();
          ops.sum(ops.mul(y, tensor(randomArray(y.size, 4502), shape))).backward();
          return [yv, a.grad!.values.slice(), b.grad!.values.slice()];
        });
      const u = run(false);
      const f = run(true);
      u.forEach((r, i) => assert.equal(relError(f[i]!, r), 0, `${be.name} ${act} item ${i}`));
    }
    onBackend(be, () => {
      // broadcast second operand: composed path, gradient summed to its shape
      const a = leaf(randomArray(24, 4510), [2, 3, 4]);
      const b = leaf(randomArray(3, 4511), [3, 1]);
      ops.sum(ops.addAct(a, b, 'relu')).backward();
      const expect = new Float32Array(3);
      const s = a.values.map((v, i) => v + b.values[Math.floor(i / 4) % 3]!);
      s.forEach((v, i) => (expect[Math.floor(i / 4) % 3]! += v > 0 ? 1 : 0));
      assert.deepEqual([...b.grad!.values], [...expect]);
      // the same tensor on both sides: d relu(2x) / dx = 2 [x > 0]
      const x = leaf(Float32Array.from([-1, 2, 3, -0.5]), [4]);
      ops.sum(ops.addAct(x, x, 'relu')).backward();
      assert.deepEqual([...x.grad!.values], [0, 2, 2, 0]);
    });
  }
});

test('addAct in a residual block with fan-out: the shared gradient buffer is never modified in place', () => {
  // z = relu(x + h(x)) with h = scale(x, 3): x receives g (shortcut) + 3 g (branch), g = [z > 0]
  const run = (fused: boolean): Float32Array => {
    const x = leaf(Float32Array.from([1, -2, 0.5, -0.1, 4]), [5]);
    const h = ops.scale(x, 3);
    const z = fused ? ops.addAct(x, h, 'relu') : ops.relu(ops.add(x, h));
    ops.sum(ops.mul(z, tensor([1, 2, 3, 4, 5]))).backward();
    return x.grad!.values.slice();
  };
  assert.deepEqual([...run(true)], [4, 0, 12, 0, 20]);
  assert.deepEqual([...run(false)], [4, 0, 12, 0, 20]);
  const y = noGrad(() => ops.addAct(tensor([1, -3]), tensor([1, 1]), 'relu'));
  assert.equal(y.requiresGrad, false);
  assert.deepEqual(y.toArray(), [2, 0]);
});
