// PyTorch parity (issue acceptance): for each fixture in test/fixtures/parity (written by
// tools/make_parity_fixtures.py), build our model, fill the deterministic parity weights, run the
// deterministic input through it in eval mode and compare the logits with PyTorch's:
// max|ours − torch| / max|torch| < 1e-4. The logits are dominated by the fc bias (the formula gives it
// amplitude 0.05), so the part that depends on the network (logits − bias) is checked too, at 1e-3 of its size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getBackend } from '../src/backend/index.js';
import { createModel, modelInfo } from '../src/models/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { fillParityWeights } from './helpers/parity_weights.js';

interface Fixture {
  model: string;
  input_shape: number[];
  formula_version: number;
  logits: number[];
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

test('parity fixtures exist for the part A acceptance models', () => {
  const have = new Set(fixtures.map((f) => f.model));
  for (const m of ['ResNet50', 'ResNet18', 'ResNet50_vd', 'ResNeXt50_32x4d', 'SE_ResNeXt50_32x4d', 'DenseNet121', 'DarkNet53']) {
    assert.ok(have.has(m), `missing fixture for ${m}`);
  }
});

for (const fx of fixtures) {
  test(`${fx.model}: logits match PyTorch (${fx.input_shape.join('×')})`, async (t) => {
    assert.equal(fx.formula_version, 1);
    const info = modelInfo(fx.model);
    if (getBackend().name === 'reference' && (info.macs > REFERENCE_MAX_MACS || info.params > REFERENCE_MAX_PARAMS)) {
      t.skip('reference backend: heavy network, checked on native');
      return;
    }
    const model = createModel(fx.model, { initialize: false });
    fillParityWeights(model);
    model.eval();
    const n = fx.input_shape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(0.013 * i + 0.5) * 1.5;
    const out = noGrad(() => (model as unknown as { forward(x: Tensor): Tensor | Tensor[] }).forward(new Tensor(x, fx.input_shape)));
    const logits = Array.isArray(out) ? out[0]! : out;
    assert.deepEqual(logits.shape, [1, fx.logits.length]);
    const ours = logits.values;
    // the fc bias is the last state-dict tensor: its formula values, to isolate the network's contribution
    const sd = [...model.stateDict().values()];
    const bias = sd[sd.length - 1]!.values;
    let diff = 0;
    let scale = 0;
    let featureScale = 0;
    for (let i = 0; i < fx.logits.length; i++) {
      diff = Math.max(diff, Math.abs(ours[i]! - fx.logits[i]!));
      scale = Math.max(scale, Math.abs(fx.logits[i]!));
      if (bias.length === fx.logits.length) featureScale = Math.max(featureScale, Math.abs(fx.logits[i]! - bias[i]!));
    }
    t.diagnostic(`max|diff| ${diff.toExponential(3)}, max|torch| ${scale.toExponential(3)}, rel ${(diff / scale).toExponential(3)}`);
    assert.ok(diff / scale < 1e-4, `${fx.model}: relative error ${diff / scale}`);
    if (featureScale > 0) assert.ok(diff / featureScale < 1e-3, `${fx.model}: error ${diff} vs network part ${featureScale}`);
  });
}
