// PyTorch parity (issue acceptance): for each fixture in test/fixtures/parity (written by
// tools/make_parity_fixtures.py and tools/parity_models_b.py), build our model, fill the deterministic parity
// weights (formula version 2), run the two parity images through it in eval mode and compare every head's
// logits with PyTorch's: max|ours − torch| / max|torch| < 1e-4. The fixture's own logits must depend on the
// image (the two images' logits differ by more than 1% of their size), so the network, not the biases,
// decides what is compared; and the difference between the images' logits must match too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getBackend } from '../src/backend/index.js';
import { createModel, modelInfo } from '../src/models/index.js';
import { isMultiHeadClassifier } from '../src/models/googlenet.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { PARITY_FORMULA_VERSION, fillParityWeights, inputDependence, parityInput, relativeError } from './helpers/parity_weights.js';

interface Fixture {
  model: string;
  input_shape: number[];
  formula_version: number;
  /** [image a, image b] */
  logits: number[][];
  /** GoogLeNet's auxiliary heads, each [image a, image b] */
  aux?: number[][][];
}

const dir = new URL('../../test/fixtures/parity/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture);

// The reference backend is plain JS: keep its share to the cheaper networks (≤ 2.5 GMACs and ≤ 30M
// parameters — filling 60M formula values and a 9216×4096 fc in JS costs as much as the convs).
const REFERENCE_MAX_MACS = 2.5e9;
const REFERENCE_MAX_PARAMS = 30e6;

const ACCEPTANCE = ['ResNet50', 'ResNet18', 'ResNet50_vd', 'ResNeXt50_32x4d', 'SE_ResNeXt50_32x4d', 'MobileNetV1_x1_0', 'MobileNetV2_x1_0',
  'ShuffleNetV2_x1_0', 'DenseNet121', 'SqueezeNet1_1', 'VGG11', 'AlexNet', 'GoogLeNet', 'InceptionV4', 'Xception41', 'DarkNet53'];

test('parity fixtures exist for every acceptance model, at its default input, from the current formula', () => {
  const byName = new Map(fixtures.map((f) => [f.model, f]));
  for (const m of ACCEPTANCE) {
    const fx = byName.get(m);
    assert.ok(fx, `missing fixture for ${m}`);
    assert.equal(fx.formula_version, PARITY_FORMULA_VERSION, `${m}: regenerate with tools/make_parity_fixtures.py`);
    assert.deepEqual(fx.input_shape, [2, ...modelInfo(m).inputSize], `${m}: fixture input`);
  }
  assert.equal(byName.get('GoogLeNet')!.aux?.length, 2, 'GoogLeNet: both auxiliary heads');
});

for (const fx of fixtures) {
  test(`${fx.model}: logits of both images match PyTorch (${fx.input_shape.join('×')})`, async (t) => {
    const info = modelInfo(fx.model);
    if (getBackend().name === 'reference' && (info.macs > REFERENCE_MAX_MACS || info.params > REFERENCE_MAX_PARAMS)) {
      t.skip('reference backend: heavy network, checked on native');
      return;
    }
    const model = createModel(fx.model, { initialize: false });
    fillParityWeights(model);
    model.eval();
    const x = parityInput(fx.input_shape);
    const heads: Tensor[] = noGrad(() => (isMultiHeadClassifier(model) ? (({ logits, aux }) => [logits, ...aux])(model.forwardHeads(x)) : [model.forward(x)]));
    const torchHeads = [fx.logits, ...(fx.aux ?? [])];
    assert.equal(heads.length, torchHeads.length, 'number of heads');
    heads.forEach((ours, h) => {
      const torch = torchHeads[h]!.flat();
      assert.deepEqual(ours.shape, [2, torch.length / 2]);
      const dependence = inputDependence(torch);
      const rel = relativeError(ours.values, torch);
      const classes = torch.length / 2;
      const diff = (v: ArrayLike<number>): number[] => Array.from({ length: classes }, (_, i) => v[i]! - v[classes + i]!);
      const relDiff = relativeError(diff(ours.values), diff(torch));
      t.diagnostic(`head ${h}: rel ${rel.toExponential(3)}, input dependence ${dependence.toFixed(3)}, its rel error ${relDiff.toExponential(3)}`);
      assert.ok(dependence > 0.01, `${fx.model} head ${h}: the fixture's logits hardly depend on the image (${dependence})`);
      assert.ok(rel < 1e-4, `${fx.model} head ${h}: relative error ${rel}`);
      assert.ok(relDiff < 1e-3, `${fx.model} head ${h}: the image-dependent part differs by ${relDiff} (relative)`);
    });
  });
}
