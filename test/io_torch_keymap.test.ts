import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../src/util/errors.js';
import { describeTorchMapping, mapTorchStateDict, torchKeyMap, unsupportedReason } from '../src/io/torch_keymap.js';
import { randomArray } from './helpers/random.js';

// Fixtures live in the source tree (test/fixtures), the compiled test in dist/test.
const here = dirname(fileURLToPath(import.meta.url));
const FIX = join(here, '..', '..', 'test', 'fixtures', 'torchvision_keys');

type KeyList = Array<[string, number[]]>;
const torchKeys = (arch: string): KeyList => (JSON.parse(readFileSync(join(FIX, `${arch}.json`), 'utf8')) as { keys: KeyList }).keys;
const manifest = JSON.parse(readFileSync(join(FIX, 'paddle_manifest_subset.json'), 'utf8')) as Record<string, KeyList>;

function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

const PAIRS: Array<[string, string]> = [
  ['ResNet50', 'resnet50'], ['ResNet101', 'resnet101'], ['ResNet152', 'resnet152'],
  ['ResNeXt50_32x4d', 'resnext50_32x4d'], ['ResNeXt101_64x4d', 'resnext101_64x4d'], ['ResNeXt101_32x8d_wsl', 'resnext101_32x8d'],
  ['DenseNet121', 'densenet121'], ['DenseNet161', 'densenet161'], ['DenseNet169', 'densenet169'], ['DenseNet201', 'densenet201'],
  ['ShuffleNetV2_x0_5', 'shufflenet_v2_x0_5'], ['ShuffleNetV2_x1_0', 'shufflenet_v2_x1_0'], ['ShuffleNetV2_x1_5', 'shufflenet_v2_x1_5'],
  ['SqueezeNet1_0', 'squeezenet1_0'], ['SqueezeNet1_1', 'squeezenet1_1'], ['AlexNet', 'alexnet'],
  ['VGG11', 'vgg11'], ['VGG13', 'vgg13'], ['VGG16', 'vgg16'], ['VGG19', 'vgg19'],
];

test('every torchvision key map covers the Paddle manifest exactly: names, order and shapes', () => {
  for (const [model, arch] of PAIRS) {
    assert.equal(describeTorchMapping(model, 'torchvision').arch, arch);
    const keys = new Map(torchKeys(arch));
    const map = torchKeyMap(model, 'torchvision');
    const want = manifest[model]!;
    assert.deepEqual(map.map((e) => e.paddle), want.map(([n]) => n), `${model}: Paddle names and order`);
    const used = new Set<string>();
    map.forEach((e, i) => {
      const shape = keys.get(e.torch);
      assert.ok(shape, `${model}: torch key ${e.torch} is not in torchvision's ${arch}`);
      used.add(e.torch);
      const paddleShape = e.transpose ? [shape[1]!, shape[0]!] : shape;
      assert.deepEqual(paddleShape, want[i]![1], `${model}: ${e.paddle} <- ${e.torch}`);
    });
    const leftover = [...keys.keys()].filter((k) => !used.has(k) && !k.endsWith('num_batches_tracked'));
    if (model.startsWith('VGG')) assert.ok(leftover.every((k) => /^features\.\d+\.bias$/.test(k)), `${model}: only conv biases are left: ${leftover}`);
    else assert.deepEqual(leftover, [], `${model}: every torchvision key is used`);
  }
});

test('timm-only maps produce the manifest names in order (ResNet vc/vd, ResNeXt101_32x4d, DenseNet264)', () => {
  for (const model of ['ResNet50_vc', 'ResNet50_vd', 'ResNet200_vd', 'ResNeXt101_32x4d', 'DenseNet264', 'ResNet50', 'DenseNet121']) {
    assert.deepEqual(torchKeyMap(model, 'timm').map((e) => e.paddle), manifest[model]!.map(([n]) => n), model);
  }
  // the same timm key layout as torchvision for plain ResNet
  assert.deepEqual(torchKeyMap('ResNet50', 'timm'), torchKeyMap('ResNet50', 'torchvision'));
});

function fakeStateDict(arch: string, seed: number): Map<string, { shape: number[]; data: Float32Array | Int32Array }> {
  const m = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>();
  let s = seed;
  for (const [k, shape] of torchKeys(arch)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (k.endsWith('num_batches_tracked')) m.set(k, { shape, data: new Int32Array([5]) });
    else m.set(k, { shape, data: randomArray(n, s++) });
  }
  return m;
}

test('mapTorchStateDict: FC transposed to [in, out], dropout-following weights scaled, num_batches_tracked dropped', () => {
  const sd = fakeStateDict('shufflenet_v2_x0_5', 1);
  const out = mapTorchStateDict('ShuffleNetV2_x0_5', 'torchvision', sd);
  assert.equal(out.size, manifest['ShuffleNetV2_x0_5']!.length);
  const fc = sd.get('fc.weight')!;
  const w = out.get('fc6_weights')!;
  assert.deepEqual(w.shape, [1024, 1000]);
  for (const [r, c] of [[0, 0], [3, 17], [999, 1023], [500, 2]] as const) assert.equal(w.data[c * 1000 + r], fc.data[r * 1024 + c]);
  assert.deepEqual(out.get('stage_2_1_conv4_bn_mean')!.data, sd.get('stage2.0.branch1.1.running_mean')!.data);
  for (const [name, t] of out) assert.deepEqual(t.shape, manifest['ShuffleNetV2_x0_5']!.find(([n]) => n === name)![1]);

  const sq = fakeStateDict('squeezenet1_1', 2);
  const mapped = mapTorchStateDict('SqueezeNet1_1', 'torchvision', sq);
  const src = sq.get('classifier.1.weight')!.data;
  assert.equal(mapped.get('conv10_weights')!.data[7], src[7]! * 2); // Paddle's dropout scales by 0.5 at inference
  assert.equal(mapped.get('conv10_offset')!.data[7], sq.get('classifier.1.bias')!.data[7]); // biases untouched
  const plain = mapTorchStateDict('SqueezeNet1_1', 'torchvision', sq, { dropoutCompensation: false });
  assert.equal(plain.get('conv10_weights')!.data[7], src[7]);
  assert.match(describeTorchMapping('SqueezeNet1_1', 'torchvision').notes[0]!, /ceil mode/);
  // DataParallel's module. prefix is accepted
  const wrapped = new Map([...sq].map(([k, v]) => [`module.${k}`, v]));
  assert.equal(mapTorchStateDict('SqueezeNet1_1', 'torchvision', wrapped).size, 52);
});

test('a state dict of the wrong architecture, or missing keys, is one clear error', () => {
  const sq = fakeStateDict('squeezenet1_0', 3);
  throwsUser(() => mapTorchStateDict('SqueezeNet1_1', 'torchvision', sq), /SqueezeNet1_1 from torchvision squeezenet1_1: the state dict does not match \(missing \d+ key\(s\): features.6.squeeze.weight.*unexpected \d+ key\(s\): features.5.squeeze.weight/);
  sq.delete('classifier.1.bias');
  throwsUser(() => mapTorchStateDict('SqueezeNet1_0', 'torchvision', sq), /missing 1 key\(s\): classifier.1.bias/);
});

test('VGG: conv biases must be zero (Paddle VGG has none)', () => {
  // tiny shapes: the map does not care about sizes, only keys, layouts and values
  const sd = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, shape] of torchKeys('vgg11')) {
    const small = shape.length === 2 ? [3, 2] : shape.map(() => 1);
    sd.set(k, { shape: small, data: k.includes('features') && k.endsWith('bias') ? new Float32Array(1) : Float32Array.from({ length: small.reduce((a, b) => a * b, 1) }, (_, i) => i + 1) });
  }
  const out = mapTorchStateDict('VGG11', 'torchvision', sd);
  assert.deepEqual([...out.keys()], manifest['VGG11']!.map(([n]) => n));
  assert.deepEqual(out.get('fc6_weights')!.shape, [2, 3]);
  assert.deepEqual([...out.get('fc6_weights')!.data], [1, 3, 5, 2, 4, 6]); // transposed, not scaled
  assert.deepEqual([...out.get('fc7_weights')!.data], [2, 6, 10, 4, 8, 12]); // transposed and ×2 (after dropout)
  sd.set('features.3.bias', { shape: [1], data: Float32Array.from([0.25]) });
  throwsUser(() => mapTorchStateDict('VGG11', 'torchvision', sd), /VGG11 from torchvision vgg11: 'features.3.bias' is not zero/);
});

test('unsupported families say why', () => {
  throwsUser(() => mapTorchStateDict('MobileNetV2_x1_0', 'torchvision', new Map()), /MobileNetV2_x1_0: cannot import torchvision weights: .*expand 1×1 conv/);
  throwsUser(() => torchKeyMap('ResNet18', 'torchvision'), /res2a a 1×1 projection shortcut/);
  throwsUser(() => torchKeyMap('ShuffleNetV2_x2_0', 'torchvision'), /244 channels/);
  throwsUser(() => torchKeyMap('ResNet50_vd', 'torchvision'), /no torchvision model with the same structure \(timm: resnet50d instead\)/);
  assert.equal(unsupportedReason('ResNet50', 'torchvision'), null);
  // the unsupported reasons are real: the manifest shows the extra tensors
  assert.ok(manifest['ResNet18']!.some(([n]) => n === 'res2a_branch1_weights'));
  assert.ok(!torchKeys('resnet18').some(([k]) => k === 'layer1.0.downsample.0.weight'));
  assert.ok(manifest['MobileNetV2_x1_0']!.some(([n]) => n === 'conv2_1_expand_weights'));
  assert.deepEqual(manifest['ShuffleNetV2_x2_0']!.find(([n]) => n === 'stage_2_1_conv5_weights')![1], [112, 24, 1, 1]);
  assert.deepEqual(torchKeys('shufflenet_v2_x2_0').find(([k]) => k === 'stage2.0.branch1.2.weight')![1], [122, 24, 1, 1]);
});
