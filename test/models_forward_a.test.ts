// Forward/backward smoke tests for the model-zoo part A families (resnet, resnet_vc, resnet_vd, resnext(+vd),
// se_resnext(+vd), densenet, darknet, resnext101_wsl) at a small resolution: logits are [N, classDim], backward
// reaches every trainable parameter, and train/eval outputs differ (BN batch vs running statistics, dropout).
// Every network here downsamples by 32 with padded stride-2 convs and pools, so 32×32 is the smallest input
// that keeps every feature map ≥ 1×1 with Paddle's (truncating) pool sizes. The reference backend runs one
// representative per family; the native backend runs every model up to 130M parameters (the WSL 16d/32d/48d
// networks are covered by the registry's shape checks only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/backend/index.js';
import { createModel, getModelEntry, listModels, modelInfo } from '../src/models/index.js';
import { manualSeed } from '../src/nn/index.js';
import { crossEntropy } from '../src/tensor/ops/index.js';
import { Tensor, intTensor } from '../src/tensor/tensor.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { randomArray } from './helpers/random.js';

const FAMILIES = new Set(['resnet', 'resnet_vc', 'resnet_vd', 'resnext', 'resnext_vd', 'se_resnext', 'se_resnext_vd', 'densenet', 'darknet', 'resnext101_wsl']);
const REFERENCE_SUBSET = new Set(['ResNet18', 'ResNet50_vc', 'ResNet18_vd', 'ResNeXt50_32x4d', 'SE_ResNeXt50_vd_32x4d', 'DenseNet121', 'DarkNet53']);
const NATIVE_MAX_PARAMS = 130e6;

const onReference = getBackend().name === 'reference';
const names = listModels().filter((n) => FAMILIES.has(getModelEntry(n).family));

test('part A registers its 54 models', () => {
  assert.equal(names.length, 54);
});

for (const name of names) {
  const heavy = modelInfo(name).params > NATIVE_MAX_PARAMS;
  const skip = heavy ? 'over 130M parameters: registry shape checks only' : onReference && !REFERENCE_SUBSET.has(name) ? 'reference backend: family representative only' : false;
  test(`${name}: forward [2, 10] at 32×32, backward reaches every parameter, train ≠ eval`, { skip }, () => {
    manualSeed(7);
    const classDim = 10;
    const model = createModel(name, { classDim });
    const x = new Tensor(randomArray(2 * 3 * 32 * 32, 11), [2, 3, 32, 32]);
    model.train();
    const logits = (model as unknown as { forward(x: Tensor): Tensor }).forward(x);
    assert.deepEqual(logits.shape, [2, classDim]);
    const train = Float32Array.from(logits.values);
    for (const v of train) assert.ok(Number.isFinite(v), 'finite train logits');
    const loss = crossEntropy(logits, intTensor([1, 7], [2]));
    loss.backward();
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
    const evalOut = noGrad(() => (model as unknown as { forward(x: Tensor): Tensor }).forward(x));
    assert.deepEqual(evalOut.shape, [2, classDim]);
    let diff = 0;
    for (let i = 0; i < train.length; i++) diff = Math.max(diff, Math.abs(train[i]! - evalOut.values[i]!));
    assert.ok(diff > 1e-6, `${name}: train and eval logits should differ (BN statistics), max diff ${diff}`);
  });
}

test('SE_ResNeXt dropout (0.5, downgrade_in_infer) halves the pooled features at inference', () => {
  manualSeed(3);
  const model = createModel('SE_ResNeXt50_32x4d', { classDim: 4 });
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
