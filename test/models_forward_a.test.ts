// Forward/backward smoke tests for the model-zoo part A families (resnet, resnet_vc, resnet_vd, resnext(+vd),
// se_resnext(+vd), densenet, darknet, resnext101_wsl) at a small resolution.
// Every network here downsamples by 32 with padded stride-2 convs and pools, so 32×32 is the smallest input
// that keeps every feature map ≥ 1×1 with Paddle's (truncating) pool sizes.
//  * shape: an eval forward of a shape-only build (zero weights, so nothing is drawn) gives [N, classDim] —
//    every part A model up to 65M parameters natively (≤ 30M on the reference backend); the larger ones are
//    deeper or wider copies of those classes and are covered by the registry's state-dict checks;
//  * training: on representatives covering every block type (basic, bottleneck, deep stem + avgpool shortcut,
//    grouped, SE + dropout, dense, darknet), with Paddle's initialisers, backward reaches every
//    trainable parameter and train/eval logits differ (BN batch vs running statistics, dropout).
// Cost is dominated by allocating parameters, not by arithmetic, hence the parameter-count limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/backend/index.js';
import { createModel, getModelEntry, listModels, modelInfo } from '../src/models/index.js';
import { manualSeed } from '../src/nn/index.js';
import { crossEntropy } from '../src/tensor/ops/index.js';
import { Tensor, intTensor } from '../src/tensor/tensor.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { randomArray } from './helpers/random.js';
import { fillParityWeights } from './helpers/parity_weights.js';

const FAMILIES = new Set(['resnet', 'resnet_vc', 'resnet_vd', 'resnext', 'resnext_vd', 'se_resnext', 'se_resnext_vd', 'densenet', 'darknet', 'resnext101_wsl']);
const onReference = getBackend().name === 'reference';
const SHAPE_MAX_PARAMS = onReference ? 30e6 : 65e6;
const TRAINING = onReference
  ? ['ResNet18_vd', 'SE_ResNeXt50_vd_32x4d', 'DenseNet121']
  : ['ResNet18', 'ResNet50_vd', 'ResNeXt50_32x4d', 'SE_ResNeXt50_32x4d', 'SE_ResNeXt50_vd_32x4d', 'DenseNet121', 'DarkNet53'];

type Net = { forward(x: Tensor): Tensor };
const names = listModels().filter((n) => FAMILIES.has(getModelEntry(n).family));

test('part A registers its 43 models', () => {
  assert.equal(names.length, 43);
});

for (const name of names) {
  const params = modelInfo(name).params;
  const skip = params > SHAPE_MAX_PARAMS ? `${(params / 1e6).toFixed(0)}M parameters: covered by the registry's state-dict checks` : false;
  test(`${name}: eval forward at 1×3×32×32 gives [1, 10]`, { skip }, () => {
    const model = createModel(name, { classDim: 10, initialize: false }) as unknown as Net & { eval(): unknown };
    model.eval();
    const x = new Tensor(randomArray(3 * 32 * 32, 11), [1, 3, 32, 32]);
    const y = noGrad(() => model.forward(x));
    assert.deepEqual(y.shape, [1, 10]);
    for (const v of y.values) assert.ok(Number.isFinite(v));
  });
}

for (const name of TRAINING) {
  test(`${name}: training forward [2, 10], backward reaches every parameter, train ≠ eval`, () => {
    manualSeed(7);
    const classDim = 10;
    const model = createModel(name, { classDim });
    const net = model as unknown as Net;
    const x = new Tensor(randomArray(2 * 3 * 32 * 32, 11), [2, 3, 32, 32]);
    model.train();
    const logits = net.forward(x);
    assert.deepEqual(logits.shape, [2, classDim]);
    const train = Float32Array.from(logits.values);
    for (const v of train) assert.ok(Number.isFinite(v), 'finite train logits');
    crossEntropy(logits, intTensor([1, 7], [2])).backward();
    const params = model.namedParameters();
    let nonzero = 0;
    for (const [pname, p] of params) {
      assert.ok(p.grad, `${name}: no gradient for ${pname}`);
      assert.deepEqual(p.grad.shape, p.shape, `${pname} grad shape`);
      let any = false;
      for (const g of p.grad.values) {
        assert.ok(Number.isFinite(g), `${pname}: finite gradient`);
        if (g !== 0) any = true;
      }
      if (any) nonzero++;
    }
    // all but a handful (e.g. a BN offset feeding only a ReLU that is off everywhere) must move
    assert.ok(nonzero >= params.length * 0.9, `${name}: ${nonzero}/${params.length} parameters got a nonzero gradient`);
    model.zeroGrad();
    model.eval();
    const evalOut = noGrad(() => net.forward(x));
    assert.deepEqual(evalOut.shape, [2, classDim]);
    let diff = 0;
    for (let i = 0; i < train.length; i++) diff = Math.max(diff, Math.abs(train[i]! - evalOut.values[i]!));
    assert.ok(diff > 1e-6, `${name}: train and eval logits should differ (BN statistics), max diff ${diff}`);
  });
}

test('SE_ResNeXt dropout (0.5, downgrade_in_infer) halves the pooled features at inference', () => {
  const model = createModel('SE_ResNeXt50_32x4d', { classDim: 4, initialize: false });
  fillParityWeights(model);
  model.eval();
  model.stateDict().get('fc6_offset')!.values.fill(0); // logits then scale linearly with the fc input
  const x = new Tensor(randomArray(1 * 3 * 32 * 32, 5), [1, 3, 32, 32]);
  const m = model as unknown as { forward(x: Tensor): Tensor; drop: { p: number; mode: string } | null };
  assert.ok(m.drop);
  assert.equal(m.drop.p, 0.5);
  assert.equal(m.drop.mode, 'downgrade_in_infer');
  const withDrop = Float32Array.from(noGrad(() => m.forward(x)).values);
  const drop = m.drop;
  m.drop = null;
  const without = noGrad(() => m.forward(x)).values;
  m.drop = drop;
  let scale = 0;
  for (const v of without) scale = Math.max(scale, Math.abs(v));
  assert.ok(scale > 0);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(withDrop[i]! - 0.5 * without[i]!) <= 1e-6 * scale, `logit ${i}`);
});
