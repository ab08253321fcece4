// Registry-wide model checks against the Paddle parameter manifest: every zoo name registers and builds, its
// state dict has exactly the manifest's names, order and shapes at class_dim 1000, the trainable count
// matches, aliases resolve, and modelInfo reports its fields. Builds are shape-only (initialize: false), so
// even the 828M-parameter WSL models cost an allocation, not 800M Gaussian draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModel, getModelEntry, hasModel, listAliases, listModels, modelInfo, computeModelStats } from '../src/models/index.js';
import { BatchNorm2d, Conv2d, Linear } from '../src/nn/index.js';
import { UserError } from '../src/util/errors.js';
import { MODEL_STATS } from '../src/models/model_stats.js';
import { loadManifest, manifestNames } from './helpers/manifest.js';

const manifest = loadManifest();
const names = manifestNames();

test('the manifest has the 75 zoo models', () => {
  assert.equal(names.length, 75);
});

test('every manifest name is registered, and nothing else is', () => {
  const missing = names.filter((n) => !listModels().includes(n));
  assert.deepEqual(missing, [], `not registered: ${missing.join(', ')}`);
  const extra = listModels().filter((n) => !(n in manifest));
  assert.deepEqual(extra, []);
});

for (const name of names) {
  test(`${name}: state dict names, order and shapes equal the manifest; trainable count`, (t) => {
    if (!hasModel(name)) {
      assert.fail(`${name} is not registered`);
    }
    const m = manifest[name]!;
    let model = createModel(name, { initialize: false });
    const sd = model.stateDict();
    const got = [...sd.entries()].map(([k, v]) => [k, [...v.shape]] as const);
    const want = m.params.map(([k, shape]) => [k, shape] as const);
    assert.equal(got.length, want.length, `${name}: ${got.length} tensors, manifest has ${want.length}`);
    for (let i = 0; i < want.length; i++) {
      assert.deepEqual(got[i], want[i], `${name}: tensor #${i}`);
    }
    let trainable = 0;
    for (const p of model.parameters()) trainable += p.size;
    assert.equal(trainable, m.trainable_elems);
    // roles: the manifest's kind agrees with the owning layer type (what the parity weight formula keys on)
    const role = new Map<string, string>();
    for (const mod of model.modules()) {
      if (mod instanceof BatchNorm2d) {
        role.set(mod.scale.name, 'bn_scale').set(mod.offset.name, 'bn_offset');
        for (const [k, v] of mod.stateDict()) if (v === mod.runningMean) role.set(k, 'bn_mean');
        for (const [k, v] of mod.stateDict()) if (v === mod.runningVar) role.set(k, 'bn_var');
      } else if (mod instanceof Conv2d) {
        role.set(mod.weight.name, 'conv');
        if (mod.bias) role.set(mod.bias.name, 'conv_bias');
      } else if (mod instanceof Linear) {
        role.set(mod.weight.name, 'fc');
        if (mod.bias) role.set(mod.bias.name, 'fc_bias');
      }
    }
    for (const [k, , kind] of m.params) assert.equal(role.get(k), kind, `${name}: role of ${k}`);
    // classDim reaches the classifier
    if (m.trainable_elems < 50e6) {
      model = createModel(name, { classDim: 7, initialize: false });
      const fc = m.params.filter(([, , kind]) => kind === 'fc' || kind === 'fc_bias' || kind === 'conv_bias').at(-1)!;
      const shape = model.stateDict().get(fc[0])!.shape;
      assert.equal(shape[shape.length === 4 ? 0 : shape.length - 1], 7, `${name}: classifier ${fc[0]} [${shape.join(', ')}]`);
    }
    t.diagnostic(`${m.n_tensors} tensors, ${trainable} trainable`);
  });
}

test('aliases resolve to their canonical models', () => {
  const expected: Record<string, string> = {
    MobileNetV1: 'MobileNetV1_x1_0',
    MobileNetV2: 'MobileNetV2_x1_0',
    ShuffleNetV2: 'ShuffleNetV2_x1_0',
    ShuffleNetV2_swish: 'ShuffleNetV2_x1_0_swish',
    SENet_154_vd: 'SENet154_vd',
    SE_154_vd: 'SENet154_vd',
    Xception_41: 'Xception41',
    Xception_65: 'Xception65',
    Xception_71: 'Xception71',
    ResNet50_vd_v2: 'ResNet50_vd',
    SE_ResNeXt50_32x4d_vd: 'SE_ResNeXt50_vd_32x4d',
    SE_ResNeXt101_32x4d_vd: 'SE_ResNeXt101_vd_32x4d',
  };
  const aliases = listAliases();
  for (const [alias, canonical] of Object.entries(expected)) {
    assert.equal(aliases.get(alias), canonical, alias);
    if (hasModel(canonical)) {
      assert.equal(getModelEntry(alias).name, canonical);
      assert.ok(getModelEntry(canonical).aliases.includes(alias), `${canonical} lists ${alias}`);
    }
  }
  // an alias builds the canonical architecture
  const a = createModel('ResNet50_vd_v2', { initialize: false, classDim: 3 });
  const b = createModel('ResNet50_vd', { initialize: false, classDim: 3 });
  assert.deepEqual([...a.stateDict().keys()], [...b.stateDict().keys()]);
});

test('names are case-sensitive; unknown names raise a UserError naming close matches', () => {
  assert.throws(() => createModel('resnet50'), (e: unknown) => e instanceof UserError && /ResNet50/.test(e.message));
  assert.throws(() => createModel('ResNet51'), (e: unknown) => e instanceof UserError && /did you mean .*ResNet50/.test(e.message));
  assert.throws(() => createModel('NoSuchNet'), UserError);
  assert.throws(() => createModel('ResNet18', { classDim: 0 }), UserError);
});

test('listModels filters by substring or /regex/', () => {
  const r = listModels('resnet18');
  assert.ok(r.includes('ResNet18') && r.includes('ResNet18_vd'));
  assert.deepEqual(listModels('/^DenseNet\\d+$/'), ['DenseNet121', 'DenseNet161', 'DenseNet169', 'DenseNet201', 'DenseNet264']);
  assert.ok(listModels('Xception_41').includes('Xception41') || !hasModel('Xception41'));
});

test('modelInfo: fields, seed numbers, inputs, pretrained archive names', () => {
  const r50 = modelInfo('ResNet50');
  assert.equal(r50.name, 'ResNet50');
  assert.equal(r50.family, 'resnet');
  assert.equal(r50.params, 25557032);
  assert.deepEqual(r50.inputSize, [3, 224, 224]);
  assert.equal(r50.resizeShort, 256);
  assert.equal(r50.crop, 224);
  assert.deepEqual(r50.mean, [0.485, 0.456, 0.406]);
  assert.deepEqual(r50.std, [0.229, 0.224, 0.225]);
  assert.equal(r50.top1, 76.5);
  assert.equal(r50.top5, 93.0);
  assert.equal(r50.pretrained, 'ResNet50_pretrained.tar');
  // ResNet-50 (v1.5, stride on the 3×3) is ≈4.1 GMACs at 224
  assert.ok(r50.macs > 4.0e9 && r50.macs < 4.2e9, `ResNet50 MACs ${r50.macs}`);
  const v2 = modelInfo('ResNet50_vd_v2');
  assert.equal(v2.name, 'ResNet50_vd');
  assert.equal(v2.top1, 79.84);
  assert.equal(v2.pretrained, 'ResNet50_vd_v2_pretrained.tar');
  assert.equal(modelInfo('ResNet50_vd').top1, 79.12);
  const dn = modelInfo('DarkNet53');
  assert.deepEqual(dn.inputSize, [3, 256, 256]);
  assert.equal(dn.resizeShort, 256);
  assert.equal(dn.pretrained, 'DarkNet53_ImageNet1k_pretrained.tar');
  const fix = modelInfo('Fix_ResNeXt101_32x48d_wsl');
  assert.deepEqual(fix.inputSize, [3, 320, 320]);
  assert.equal(fix.resizeShort, 320);
  assert.equal(fix.top1, 86.26);
  assert.equal(modelInfo('SENet154_vd').pretrained, 'SENet_154_vd_pretrained.tar');
  assert.equal(modelInfo('ResNet18_vd').top1, null);
  for (const n of names.filter(hasModel)) {
    const info = modelInfo(n);
    for (const k of ['name', 'aliases', 'family', 'params', 'macs', 'inputSize', 'resizeShort', 'crop', 'mean', 'std', 'top1', 'top5', 'pretrained'] as const) {
      assert.ok(k in info, `${n}: modelInfo lacks ${k}`);
    }
    assert.equal(info.params, manifest[n]!.trainable_elems, `${n}: params`);
    assert.deepEqual(info.inputSize, manifest[n]!.input, `${n}: input size`);
    assert.ok(info.macs > 0, `${n}: macs`);
  }
});

test('the precomputed stats table matches a live shape-only count', () => {
  for (const n of ['ResNet18', 'ResNet50_vd', 'DenseNet121', 'SE_ResNeXt50_32x4d', 'DarkNet53']) {
    const live = computeModelStats(n);
    const table = MODEL_STATS[n];
    assert.ok(table, `${n} missing from src/models/model_stats.ts (regenerate: node dist/tools/gen_model_stats.js)`);
    assert.equal(table.params, live.params, `${n}: params`);
    assert.equal(table.macs, live.macs, `${n}: macs`);
  }
});
