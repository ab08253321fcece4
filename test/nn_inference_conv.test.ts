// The inference fast path (BN folded into the conv, activation fused, weights cached per conv):
// eval + noGrad logits of zoo models against the unfused ops (the same model run with grad
// enabled, which takes the op-level path), and invalidation of the cache whenever a source
// tensor changes: an optimizer step, loadStateDict, a direct write, a training forward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModel } from '../src/models/index.js';
import { BatchNorm2d, Conv2d, Sequential, hasInferenceCache, inferenceConvForward } from '../src/nn/index.js';
import type { AnyModule } from '../src/nn/index.js';
import { SGD } from '../src/optim/index.js';
import { addAct, crossEntropy } from '../src/tensor/ops/index.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { intTensor, tensor, type Tensor } from '../src/tensor/tensor.js';
import { fillParityWeights, parityInput } from './helpers/parity_weights.js';

function build(name: string): AnyModule {
  const m = createModel(name, { classDim: 10, initialize: false }) as AnyModule;
  fillParityWeights(m);
  return m.eval();
}

const fused = (m: AnyModule, x: Tensor): Float32Array => noGrad(() => (m.forward(x) as Tensor).values.slice());
/** Grad mode on and parameters requiring grad: every layer takes the unfused op path. */
const unfused = (m: AnyModule, x: Tensor): Float32Array => (m.forward(x) as Tensor).values.slice();

function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

const convs = (m: AnyModule): Conv2d[] => [...m.modules()].filter((c): c is Conv2d => c instanceof Conv2d);

// ReLU (ResNet, DarkNet, DenseNet's pre-activation BN), ReLU6 (MobileNetV2), conv + bias + ReLU
// without BN (SqueezeNet), swish after the folded conv (ShuffleNetV2_swish), plain convs (GoogLeNet).
const CASES: [string, number, number][] = [
  ['ResNet50', 2, 64],
  ['MobileNetV2', 2, 64],
  ['DarkNet53', 1, 64],
  ['GoogLeNet', 1, 224],
  ['DenseNet121', 1, 64],
  ['SqueezeNet1_1', 2, 64],
  ['ShuffleNetV2_swish', 1, 224],
];

for (const [name, n, size] of CASES) {
  test(`${name}: eval logits through the folded inference path match the unfused ops within 1e-4`, () => {
    const m = build(name);
    const x = parityInput([n, 3, size, size]);
    const f = fused(m, x);
    const u = unfused(m, x);
    const rel = relDiff(f, u);
    assert.ok(rel < 1e-4, `${name}: relative difference ${rel}`);
    assert.ok(f.every(Number.isFinite));
    assert.ok(convs(m).some(hasInferenceCache), `${name}: the fused path was not taken`);
  });
}

test('the folded cache follows every change of its sources', () => {
  const m = build('ResNet18');
  const x = parityInput([2, 3, 32, 32]);
  const check = (what: string): Float32Array => {
    const f = fused(m, x);
    const rel = relDiff(f, unfused(m, x));
    assert.ok(rel < 1e-4, `${what}: fused and unfused differ by ${rel}`);
    return f;
  };
  const y0 = check('initial');
  assert.ok(convs(m).some(hasInferenceCache));
  const changed = (a: Float32Array, b: Float32Array, what: string): void => assert.ok(relDiff(a, b) > 1e-3, `${what}: the logits did not change`);

  // 1. an optimizer step (in eval mode, so no training forward drops the cache on the way)
  const snapshot = new Map([...m.stateDict()].map(([k, t]) => [k, t.clone()]));
  const opt = new SGD(m, { lr: 0.5 });
  for (const p of m.parameters()) p.grad = tensor(new Float32Array(p.size).fill(0.01), p.shape);
  opt.step();
  m.zeroGrad();
  const y1 = check('after an optimizer step');
  changed(y0, y1, 'optimizer step');

  // 2. loadStateDict back to the snapshot: exactly the first logits again
  m.loadStateDict(snapshot);
  const y2 = check('after loadStateDict');
  assert.deepEqual([...y2], [...y0]);

  // 3. a direct write into a BN running variance and into a conv weight
  const bn = [...m.modules()].find((c) => c.constructor.name === 'BatchNorm2d') as unknown as { runningVar: Tensor };
  bn.runningVar.values.fill(4);
  const y3 = check('after writing a running variance');
  changed(y2, y3, 'running variance write');
  const w = convs(m)[3]!.weight;
  w.values[0] = w.values[0]! + 5;
  changed(y3, check('after writing a conv weight'), 'weight write');

  // 4. a training forward updates running statistics and drops the caches
  m.train();
  const loss = crossEntropy(m.forward(x) as Tensor, intTensor([1, 2]));
  assert.ok(!convs(m).some(hasInferenceCache), 'training mode drops the folded weights');
  loss.backward();
  m.eval();
  check('after a training step');
});

// A residual block's last conv takes the shortcut in its output tiles (convBnAddForward): the same bits as
// the conv alone followed by addAct, for 1×1 and 3×3 convs, grouped and depthwise ones, maps whose
// register tiles straddle images (batch 3 of 7×7), deep K (several KC blocks), every activation.
const RESIDUAL_CASES: Array<[string, number, number, number, number, number, number]> = [
  // name, n, c, k, kernel, groups, size
  ['1x1', 3, 64, 48, 1, 1, 7],
  ['3x3 deep K', 2, 96, 40, 3, 1, 9],
  ['3x3 grouped', 1, 64, 64, 3, 8, 14],
  ['3x3 depthwise', 2, 32, 32, 3, 32, 10],
  // whole 12x32 register tiles inside one image: the epilogue runs in the micro-kernel's store
  ['1x1 wide map', 1, 32, 64, 1, 1, 28],
];
for (const [what, n, c, k, kernel, groups, size] of RESIDUAL_CASES) {
  for (const act of ['none', 'relu', 'relu6', 'leaky_relu'] as const) {
    test(`convBnAddForward (${what}, ${act}): conv, BN, shortcut and activation fused equal the conv then addAct bit for bit`, () => {
      const conv = new Conv2d({ inChannels: c, outChannels: k, kernel, padding: (kernel - 1) / 2, groups, weightName: 'w' });
      const bn = new BatchNorm2d({ channels: k, names: { scale: 's', offset: 'o', mean: 'm', variance: 'v' } });
      const model = new Sequential(conv, bn);
      fillParityWeights(model);
      model.eval();
      const x = parityInput([n, c, size, size]);
      const shortcut = parityInput([n, k, size, size]);
      for (let i = 0; i < shortcut.size; i++) shortcut.values[i] = shortcut.values[i]! * 3 - 0.5;
      noGrad(() => {
        const fusedOut = inferenceConvForward(conv, bn, x, act, 0.1, shortcut);
        const plain = inferenceConvForward(conv, bn, x, 'none');
        const want = addAct(shortcut, plain, act, 0.1);
        assert.deepEqual(fusedOut.shape, want.shape);
        let mismatches = 0;
        for (let i = 0; i < want.size; i++) if (fusedOut.values[i] !== want.values[i]) mismatches++;
        assert.equal(mismatches, 0, `${mismatches} of ${want.size} outputs differ`);
        if (act === 'relu') assert.ok(want.values.some((v) => v === 0) && want.values.some((v) => v > 0), 'the ReLU cuts some outputs, not all');
      });
    });
  }
}
