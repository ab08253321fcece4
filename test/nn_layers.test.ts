// Layers on top of the ops: Paddle names and layouts, BN and dropout train/eval behaviour,
// inference folding, gradients reaching every parameter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchNorm2d } from '../src/nn/batchnorm.js';
import { Flatten, Sequential } from '../src/nn/container.js';
import { Conv2d } from '../src/nn/conv.js';
import { Dropout } from '../src/nn/dropout.js';
import { Linear } from '../src/nn/linear.js';
import { ReLU } from '../src/nn/activation.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../src/nn/pool.js';
import { manualSeed } from '../src/nn/random.js';
import { mean as meanOp, sum } from '../src/tensor/ops/index.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { bufferPoolStats, clearBufferPool } from '../src/tensor/buffer_pool.js';
import { tensor, type Tensor } from '../src/tensor/tensor.js';
import { randomArray } from './helpers/random.js';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)), `element ${i}: ${a[i]} vs ${b[i]}`);
}

function bn(c: number, act: 'relu' | 'relu6' | 'swish' | null = null): BatchNorm2d {
  return new BatchNorm2d({ channels: c, names: { scale: 'bn_scale', offset: 'bn_offset', mean: 'bn_mean', variance: 'bn_variance' }, act });
}

/** x [n, c, hw] per-channel mean and biased variance in float64. */
function channelStats(x: Float32Array, n: number, c: number, hw: number): { mean: number[]; variance: number[] } {
  const mean: number[] = [];
  const variance: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) s += x[(b * c + ch) * hw + i]!;
    const m = s / (n * hw);
    let q = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) q += (x[(b * c + ch) * hw + i]! - m) ** 2;
    mean.push(m);
    variance.push(q / (n * hw));
  }
  return { mean, variance };
}

test('Conv2d: Paddle layout [out, in/groups, kh, kw], names, default init uses total C_in', () => {
  manualSeed(3);
  const dw = new Conv2d({ inChannels: 64, outChannels: 64, kernel: 3, padding: 1, groups: 64, weightName: 'dw_weights' });
  assert.deepEqual(dw.weight.shape, [64, 1, 3, 3]);
  assert.deepEqual([...dw.stateDict().keys()], ['dw_weights']);
  let q = 0;
  for (const v of dw.weight.values) q += v * v;
  const std = Math.sqrt(q / dw.weight.size);
  assert.ok(Math.abs(std / Math.sqrt(2 / (9 * 64)) - 1) < 0.1, `std ${std}`); // 576 samples
  const withBias = new Conv2d({ inChannels: 2, outChannels: 3, kernel: [1, 1], weightName: 'c_w', biasName: 'c_b' });
  assert.deepEqual([...withBias.stateDict().keys()], ['c_w', 'c_b']);
  assert.deepEqual(withBias.bias!.toArray(), [0, 0, 0]);
  const y = withBias.forward(tensor(randomArray(2 * 2 * 4 * 5, 1), [2, 2, 4, 5]));
  assert.deepEqual(y.shape, [2, 3, 4, 5]);
  assert.throws(() => new Conv2d({ inChannels: 3, outChannels: 4, kernel: 3, groups: 2, weightName: 'bad' }), /groups/);
});

test('BatchNorm2d training: batch statistics, running stats updated with momentum 0.9 and the biased variance', () => {
  const n = 4;
  const c = 3;
  const hw = 6;
  const x = tensor(randomArray(n * c * hw, 7).map((v, i) => v * (1 + (i % 3)) + 0.5), [n, c, 2, 3]);
  const layer = bn(c);
  assert.deepEqual([...layer.stateDict().keys()], ['bn_scale', 'bn_offset', 'bn_mean', 'bn_variance']);
  assert.deepEqual(layer.parameters().map((p) => p.name), ['bn_scale', 'bn_offset']);
  const y = layer.forward(x);
  const st = channelStats(x.values, n, c, hw);
  const ys = channelStats(y.values, n, c, hw);
  close(ys.mean, [0, 0, 0], 1e-5);
  close(ys.variance, st.variance.map((v) => v / (v + 1e-5)), 1e-4);
  close(layer.runningMean.values, st.mean.map((m) => 0.1 * m), 1e-5);
  close(layer.runningVar.values, st.variance.map((v) => 0.9 + 0.1 * v), 1e-5);
});

test('BatchNorm2d eval: running statistics, fused activation; folded inference path equals the op path', () => {
  const n = 2;
  const c = 3;
  const hw = 4;
  const layer = bn(c, 'relu6');
  layer.scale.values.set([1.5, -0.5, 2]);
  layer.offset.values.set([0.1, 0.2, -0.3]);
  layer.runningMean.values.set([0.5, -1, 0]);
  layer.runningVar.values.set([4, 0.25, 1]);
  layer.eval();
  const xv = randomArray(n * c * hw, 11).map((v) => v * 6);
  const expected = Array.from(xv, (v, i) => {
    const ch = Math.floor(i / hw) % c;
    const s = [1.5, -0.5, 2][ch]!;
    const o = [0.1, 0.2, -0.3][ch]!;
    const m = [0.5, -1, 0][ch]!;
    const vr = [4, 0.25, 1][ch]!;
    return Math.min(6, Math.max(0, ((v - m) / Math.sqrt(vr + 1e-5)) * s + o));
  });
  const folded = noGrad(() => layer.forward(tensor(xv, [n, c, 2, 2])));
  close(folded.values, expected);
  // with a gradient needed, eval goes through the differentiable op
  const xg = tensor(xv.slice(), [n, c, 2, 2]).requiresGrad_();
  const viaOp = layer.forward(xg);
  assert.equal(viaOp.requiresGrad, true);
  close(viaOp.values, expected);
  // eval never touches the running statistics
  close(layer.runningMean.values, [0.5, -1, 0]);
  close(layer.runningVar.values, [4, 0.25, 1]);
  // swish (not fusable) on the folded path
  const sw = bn(c, 'swish');
  sw.eval();
  const ysw = noGrad(() => sw.forward(tensor(xv, [n, c, 2, 2])));
  close(ysw.values, Array.from(xv, (v) => {
    const z = v / Math.sqrt(1 + 1e-5);
    return z / (1 + Math.exp(-z));
  }));
});

test('Dropout downgrade_in_infer: training masks without rescale, inference scales by (1 − p); seeded', () => {
  const x = tensor(new Float32Array(20000).fill(2), [100, 200]);
  const d = new Dropout({ p: 0.3 });
  manualSeed(5);
  const y = d.forward(x).toArray();
  let kept = 0;
  for (const v of y) {
    assert.ok(v === 0 || v === 2);
    if (v === 2) kept++;
  }
  assert.ok(Math.abs(kept / y.length - 0.7) < 0.02, `kept ${kept / y.length}`);
  manualSeed(5);
  assert.deepEqual(d.forward(x).toArray(), y);
  d.eval();
  close(d.forward(x).values, new Array(20000).fill(1.4));
  const up = new Dropout({ p: 0.5, mode: 'upscale_in_train' });
  const yu = up.forward(tensor(new Float32Array(1000).fill(1), [1000])).toArray();
  for (const v of yu) assert.ok(Math.abs(v) < 1e-7 || Math.abs(v - 2) < 1e-6);
  up.eval();
  close(up.forward(tensor([1, 2, 3])).values, [1, 2, 3]);
});

test('Linear: weight [in, out], y = x·W + b, flattens [N, C, H, W]', () => {
  const fc = new Linear({ inFeatures: 4, outFeatures: 2, weightName: 'fc_weights', biasName: 'fc_offset' });
  assert.deepEqual(fc.weight.shape, [4, 2]);
  fc.weight.values.set([1, 0, 0, 1, 1, 1, -1, 2]);
  fc.bias!.values.set([0.5, -0.5]);
  const y = fc.forward(tensor([1, 2, 3, 4], [1, 4, 1, 1]));
  assert.deepEqual(y.shape, [1, 2]);
  close(y.values, [1 + 3 - 4 + 0.5, 2 + 3 + 8 - 0.5]);
  const noBias = new Linear({ inFeatures: 3, outFeatures: 3, weightName: 'w', biasName: null });
  assert.equal(noBias.bias, null);
  // default init is Xavier uniform ±sqrt(6/6) = ±1
  for (const v of noBias.weight.values) assert.ok(Math.abs(v) <= 1);
});

test('Linear on [N, C, H, W]: off the tape the flattened copy goes back to the pool; on the tape it stays for the weight gradient', () => {
  const fc = new Linear({ inFeatures: 300, outFeatures: 2, weightName: 'fc_weights', biasName: null });
  fc.weight.values.set(randomArray(600, 11));
  const x = tensor(randomArray(600, 12), [2, 3, 10, 10]); // needs no gradient itself
  clearBufferPool();
  const y = noGrad(() => fc.forward(x));
  // the [2, 300] copy is pooled again (the pool was empty, and y is still held)
  assert.equal(bufferPoolStats().pooledBytes >= 600 * 4, true, `pooled ${bufferPoolStats().pooledBytes} bytes`);
  // training: the copy is the saved input of the weight gradient, dW = x2^T · dy
  const out = fc.forward(x);
  close(out.values, y.values);
  sum(out).backward();
  const xv = x.values;
  for (const [i, o] of [[0, 0], [299, 1], [150, 0]] as const) close([fc.weight.grad!.values[i * 2 + o]!], [xv[i]! + xv[300 + i]!]);
});

test('pools: Paddle stride default 1, truncating sizes, global average', () => {
  const x = tensor(Array.from({ length: 2 * 3 * 6 * 6 }, (_, i) => i % 7), [2, 3, 6, 6]);
  assert.deepEqual(new MaxPool2d({ kernel: 3 }).forward(x).shape, [2, 3, 4, 4]);
  assert.deepEqual(new MaxPool2d({ kernel: 3, stride: 2, padding: 1 }).forward(x).shape, [2, 3, 3, 3]);
  // GoogLeNet's pool5: 7x7 stride 7 on 6x6 with ceil mode off -> (6 - 7)/7 + 1 = 1 by truncation
  assert.deepEqual(new AvgPool2d({ kernel: 7, stride: 7 }).forward(tensor(new Float32Array(36), [1, 1, 6, 6])).shape, [1, 1, 1, 1]);
  const g = new GlobalAvgPool2d().forward(x);
  assert.deepEqual(g.shape, [2, 3, 1, 1]);
  let s = 0;
  for (let i = 0; i < 36; i++) s += x.values[i]!;
  close([g.values[0]!], [s / 36]);
});

test('a small net: state dict names in creation order, train vs eval outputs differ, gradients reach every parameter', () => {
  manualSeed(1);
  const net = new Sequential(
    new Conv2d({ inChannels: 3, outChannels: 4, kernel: 3, padding: 1, weightName: 'conv1_weights' }),
    new BatchNorm2d({ channels: 4, names: { scale: 'bn1_scale', offset: 'bn1_offset', mean: 'bn1_mean', variance: 'bn1_variance' }, act: 'relu' }),
    new MaxPool2d({ kernel: 2, stride: 2 }),
    new Flatten(),
    new Dropout({ p: 0.5 }),
    new Linear({ inFeatures: 4 * 4 * 4, outFeatures: 5, weightName: 'fc_weights', biasName: 'fc_offset' }),
    new ReLU(),
  );
  assert.deepEqual([...net.stateDict().keys()], ['conv1_weights', 'bn1_scale', 'bn1_offset', 'bn1_mean', 'bn1_variance', 'fc_weights', 'fc_offset']);
  assert.deepEqual(net.namedChildren().map(([k]) => k), ['0', '1', '2', '3', '4', '5', '6']);
  const x = tensor(randomArray(2 * 3 * 8 * 8, 3), [2, 3, 8, 8]);
  const loss = sum(net.forward(x));
  loss.backward();
  for (const [name, p] of net.namedParameters()) {
    assert.ok(p.grad !== null, `${name} has no gradient`);
    assert.deepEqual(p.grad.shape, p.shape);
  }
  net.zeroGrad();
  const trainOut = noGrad(() => net.forward(x)).toArray();
  net.eval();
  const evalOut1 = noGrad(() => net.forward(x)).toArray();
  const evalOut2 = noGrad(() => net.forward(x)).toArray();
  assert.deepEqual(evalOut1, evalOut2); // deterministic in eval
  assert.notDeepEqual(trainOut, evalOut1);
  const m: Tensor = meanOp(tensor(evalOut1, [10]));
  assert.ok(Number.isFinite(m.item()));
});
