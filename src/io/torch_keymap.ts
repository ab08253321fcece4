// Key maps from torchvision / timm state dicts to Paddle parameter names, for the families
// whose structure matches Paddle's exactly (same layers, same order, same shapes). Each map is
// generated in the order of Paddle's parameter manifest (creation order in net()), pairing each
// Paddle name with the PyTorch key it comes from and the transform it needs:
//  - FC weights are transposed (PyTorch [out, in] → Paddle [in, out]);
//  - num_batches_tracked buffers are dropped;
//  - a layer that follows a dropout gets its weight multiplied by 1/(1-p): Paddle's dropout
//    (downgrade_in_infer) scales by (1-p) at inference, PyTorch's (upscale_in_train) does not,
//    so without this the imported logits would be wrong.
// Families that differ in structure are refused with the reason (one line, for the CLI).
import { UserError } from '../util/errors.js';
import { shapeSize } from '../tensor/tensor.js';
import { dataOf, type TensorLike } from './tensor_data.js';

export type TorchSource = 'torchvision' | 'timm';

export interface KeyMapEntry {
  paddle: string;
  torch: string;
  /** 'transpose' for FC weights; `scale` multiplies after any transpose (dropout compensation). */
  transpose: boolean;
  scale: number;
  /** The PyTorch tensor is a 1×1 conv [out, in, 1, 1] standing in for a linear layer (timm's SE fc1/fc2). */
  conv1x1?: boolean;
}

export interface MappedTensor {
  shape: number[];
  data: Float32Array;
}

export interface TorchMapOptions {
  /** Multiply the weights that follow a dropout by 1/(1-p) (default true); see the file comment. */
  dropoutCompensation?: boolean;
}

const BN_PADDLE = ['scale', 'offset', 'mean', 'variance'] as const;
const BN_TORCH = ['weight', 'bias', 'running_mean', 'running_var'] as const;

class Builder {
  readonly entries: KeyMapEntry[] = [];
  add(paddle: string, torch: string, transpose = false, scale = 1): void {
    this.entries.push({ paddle, torch, transpose, scale });
  }
  /** Paddle fc `<p>_weights` [in, out] / `<p>_offset` ← a PyTorch 1×1 conv with bias (squeeze-excite). */
  fcFromConv1x1(paddlePrefix: string, torchPrefix: string): void {
    this.entries.push({ paddle: `${paddlePrefix}_weights`, torch: `${torchPrefix}.weight`, transpose: true, scale: 1, conv1x1: true });
    this.add(`${paddlePrefix}_offset`, `${torchPrefix}.bias`);
  }
  /** Paddle `<p>_scale/_offset/_mean/_variance` ← PyTorch `<t>.weight/.bias/.running_mean/.running_var`. */
  bn(paddlePrefix: string, torchPrefix: string): void {
    for (let i = 0; i < 4; i++) this.add(`${paddlePrefix}_${BN_PADDLE[i]}`, `${torchPrefix}.${BN_TORCH[i]}`);
  }
  /** Names kept as PyTorch's (the WSL models). */
  same(torchPrefix: string, params: readonly string[]): void {
    for (const p of params) this.add(`${torchPrefix}.${p}`, `${torchPrefix}.${p}`);
  }
}

// ---- ResNet / ResNeXt (resnet.py, resnext.py, resnet_vc.py, resnet_vd.py) ----

interface ResNetSpec {
  depths: number[];
  /** 'plain': conv1 7×7; 'deep': conv1_1/1_2/1_3 (vc, vd). */
  stem: 'plain' | 'deep';
  stemConv: string;
  fc: [string, string];
  /** timm's avg_down shortcut (vd): downsample.1 is the conv, downsample.2 the BN. */
  avgDown: boolean;
}

function resnetBlockName(stage: number, i: number, depths: readonly number[]): string {
  const total = depths.reduce((a, b) => a + b, 0) * 3 + 2;
  // resnet.py: 101/152 (and 200) name res4's blocks a, b1, b2, ...
  if (total >= 101 && stage === 2) return `res4${i === 0 ? 'a' : `b${i}`}`;
  return `res${stage + 2}${String.fromCharCode(97 + i)}`;
}

function resnetMap(s: ResNetSpec): KeyMapEntry[] {
  const b = new Builder();
  if (s.stem === 'plain') {
    b.add(`${s.stemConv}_weights`, 'conv1.weight');
    b.bn('bn_conv1', 'bn1');
  } else {
    b.add('conv1_1_weights', 'conv1.0.weight');
    b.bn('bnv1_1', 'conv1.1');
    b.add('conv1_2_weights', 'conv1.3.weight');
    b.bn('bnv1_2', 'conv1.4');
    b.add('conv1_3_weights', 'conv1.6.weight');
    b.bn('bnv1_3', 'bn1');
  }
  s.depths.forEach((n, stage) => {
    for (let i = 0; i < n; i++) {
      const name = resnetBlockName(stage, i, s.depths);
      const bn = 'bn' + name.slice(3);
      const t = `layer${stage + 1}.${i}`;
      ['a', 'b', 'c'].forEach((l, j) => {
        b.add(`${name}_branch2${l}_weights`, `${t}.conv${j + 1}.weight`);
        b.bn(`${bn}_branch2${l}`, `${t}.bn${j + 1}`);
      });
      if (i === 0) {
        const off = s.avgDown ? 1 : 0;
        b.add(`${name}_branch1_weights`, `${t}.downsample.${off}.weight`);
        b.bn(`${bn}_branch1`, `${t}.downsample.${off + 1}`);
      }
    }
  });
  b.add(s.fc[0], 'fc.weight', true);
  b.add(s.fc[1], 'fc.bias');
  return b.entries;
}

/** ResNeXt101_32x*d_wsl keep PyTorch's names; only the FC layout changes. */
function wslMap(depths: number[]): KeyMapEntry[] {
  const b = new Builder();
  const bnp = ['weight', 'bias', 'running_mean', 'running_var'];
  b.same('conv1', ['weight']);
  b.same('bn1', bnp);
  depths.forEach((n, stage) => {
    for (let i = 0; i < n; i++) {
      const t = `layer${stage + 1}.${i}`;
      for (let j = 1; j <= 3; j++) {
        b.same(`${t}.conv${j}`, ['weight']);
        b.same(`${t}.bn${j}`, bnp);
      }
      if (i === 0) {
        b.same(`${t}.downsample.0`, ['weight']);
        b.same(`${t}.downsample.1`, bnp);
      }
    }
  });
  b.add('fc.weight', 'fc.weight', true);
  b.add('fc.bias', 'fc.bias');
  return b.entries;
}

// ---- SE_ResNeXt (se_resnext.py) from timm's seresnext*_32x4d (models/resnet.py, attn_layer='se') ----

/**
 * timm's SE module keeps its two fully connected layers as 1×1 convs with bias (se.fc1, se.fc2);
 * Paddle's are fc layers fc{n}_{i}_sqz / _exc. Block `{n}_{i}`: n = stage + 2, i from 1.
 */
function seResNeXtMap(depths: readonly number[], comp: number): KeyMapEntry[] {
  const b = new Builder();
  b.add('conv1_weights', 'conv1.weight');
  b.bn('conv1_bn', 'bn1');
  depths.forEach((count, stage) => {
    for (let i = 0; i < count; i++) {
      const n = `${stage + 2}_${i + 1}`;
      const t = `layer${stage + 1}.${i}`;
      ['x1', 'x2', 'x3'].forEach((x, j) => {
        b.add(`conv${n}_${x}_weights`, `${t}.conv${j + 1}.weight`);
        b.bn(`conv${n}_${x}_bn`, `${t}.bn${j + 1}`);
      });
      b.fcFromConv1x1(`fc${n}_sqz`, `${t}.se.fc1`);
      b.fcFromConv1x1(`fc${n}_exc`, `${t}.se.fc2`);
      if (i === 0) {
        b.add(`conv${n}_prj_weights`, `${t}.downsample.0.weight`);
        b.bn(`conv${n}_prj_bn`, `${t}.downsample.1`);
      }
    }
  });
  // Paddle's head has dropout 0.5 (downgrade_in_infer) before fc6; timm's has none at inference.
  b.add('fc6_weights', 'fc.weight', true, comp);
  b.add('fc6_offset', 'fc.bias');
  return b.entries;
}

/** timm's legacy SENet (models/senet.py, Cadene's port) names: layer0.conv1, se_module, last_linear. */
const LEGACY_SENET_KEY = /^(layer0\.|last_linear\.|layer\d+\.\d+\.se_module\.)/;
const LEGACY_SENET_REASON =
  "this is timm's legacy SENet layout (layer0.*, se_module, last_linear: legacy_seresnext*_32x4d), whose stem max-pools with " +
  "padding 0 in ceil mode (Caffe's pooling) where Paddle's SE_ResNeXt pools with padding 1 in floor mode: same tensors, but every " +
  'pooling window is shifted by one pixel, so the logits cannot be reproduced. Use timm seresnext50_32x4d / seresnext101_32x4d weights';

// ---- DenseNet (densenet.py) ----

function densenetMap(blocks: number[]): KeyMapEntry[] {
  const b = new Builder();
  b.add('conv1_weights', 'features.conv0.weight');
  b.bn('conv1_bn', 'features.norm0');
  blocks.forEach((n, k) => {
    for (let l = 1; l <= n; l++) {
      const p = `conv${k + 2}_${l}`;
      const t = `features.denseblock${k + 1}.denselayer${l}`;
      b.bn(`${p}_x1_bn`, `${t}.norm1`);
      b.add(`${p}_x1_weights`, `${t}.conv1.weight`);
      b.bn(`${p}_x2_bn`, `${t}.norm2`);
      b.add(`${p}_x2_weights`, `${t}.conv2.weight`);
    }
    if (k < blocks.length - 1) {
      b.bn(`conv${k + 2}_blk_bn`, `features.transition${k + 1}.norm`);
      b.add(`conv${k + 2}_blk_weights`, `features.transition${k + 1}.conv.weight`);
    }
  });
  b.bn(`conv${blocks.length + 1}_blk_bn`, 'features.norm5');
  b.add('fc_weights', 'classifier.weight', true);
  b.add('fc_offset', 'classifier.bias');
  return b.entries;
}

// ---- ShuffleNetV2 (shufflenet_v2.py) ----

function shufflenetMap(): KeyMapEntry[] {
  const b = new Builder();
  b.add('stage1_conv_weights', 'conv1.0.weight');
  b.bn('stage1_conv_bn', 'conv1.1');
  [4, 8, 4].forEach((n, s) => {
    for (let i = 0; i < n; i++) {
      const p = `stage_${s + 2}_${i + 1}`;
      const t = `stage${s + 2}.${i}`;
      if (i === 0) {
        // stride-2 unit: Paddle's conv4 (dw) + conv5 (1×1) are torchvision's branch1
        b.add(`${p}_conv4_weights`, `${t}.branch1.0.weight`);
        b.bn(`${p}_conv4_bn`, `${t}.branch1.1`);
        b.add(`${p}_conv5_weights`, `${t}.branch1.2.weight`);
        b.bn(`${p}_conv5_bn`, `${t}.branch1.3`);
      }
      b.add(`${p}_conv1_weights`, `${t}.branch2.0.weight`);
      b.bn(`${p}_conv1_bn`, `${t}.branch2.1`);
      b.add(`${p}_conv2_weights`, `${t}.branch2.3.weight`);
      b.bn(`${p}_conv2_bn`, `${t}.branch2.4`);
      b.add(`${p}_conv3_weights`, `${t}.branch2.5.weight`);
      b.bn(`${p}_conv3_bn`, `${t}.branch2.6`);
    }
  });
  b.add('conv5_weights', 'conv5.0.weight');
  b.bn('conv5_bn', 'conv5.1');
  b.add('fc6_weights', 'fc.weight', true);
  b.add('fc6_offset', 'fc.bias');
  return b.entries;
}

// ---- SqueezeNet, AlexNet, VGG ----

function squeezenetMap(version: '1_0' | '1_1', comp: number): KeyMapEntry[] {
  // Indices of the Fire modules in torchvision's `features` Sequential.
  const fires = version === '1_0' ? [3, 4, 5, 7, 8, 9, 10, 12] : [3, 4, 6, 7, 9, 10, 11, 12];
  const b = new Builder();
  b.add('conv1_weights', 'features.0.weight');
  b.add('conv1_offset', 'features.0.bias');
  fires.forEach((idx, j) => {
    for (const part of ['squeeze1x1', 'expand1x1', 'expand3x3']) {
      const t = `features.${idx}.${part === 'squeeze1x1' ? 'squeeze' : part}`;
      b.add(`fire${j + 2}_${part}_weights`, `${t}.weight`);
      b.add(`fire${j + 2}_${part}_offset`, `${t}.bias`);
    }
  });
  b.add('conv10_weights', 'classifier.1.weight', false, comp); // after dropout 0.5
  b.add('conv10_offset', 'classifier.1.bias');
  return b.entries;
}

function alexnetMap(comp: number): KeyMapEntry[] {
  const b = new Builder();
  [0, 3, 6, 8, 10].forEach((idx, j) => {
    b.add(`conv${j + 1}_weights`, `features.${idx}.weight`);
    b.add(`conv${j + 1}_offset`, `features.${idx}.bias`);
  });
  // classifier: Dropout, Linear(fc6), ReLU, Dropout, Linear(fc7), ReLU, Linear(fc8)
  b.add('fc6_weights', 'classifier.1.weight', true, comp);
  b.add('fc6_offset', 'classifier.1.bias');
  b.add('fc7_weights', 'classifier.4.weight', true, comp);
  b.add('fc7_offset', 'classifier.4.bias');
  b.add('fc8_weights', 'classifier.6.weight', true);
  b.add('fc8_offset', 'classifier.6.bias');
  return b.entries;
}

const VGG_BLOCKS: Record<string, number[]> = { VGG11: [1, 1, 2, 2, 2], VGG13: [2, 2, 2, 2, 2], VGG16: [2, 2, 3, 3, 3], VGG19: [2, 2, 4, 4, 4] };

/** VGG's torchvision conv biases have no Paddle counterpart: they are checked to be zero, then dropped. */
function vggMap(blocks: number[], comp: number): { entries: KeyMapEntry[]; zeroBiases: string[] } {
  const b = new Builder();
  const zeroBiases: string[] = [];
  let idx = 0;
  blocks.forEach((n, blk) => {
    for (let i = 1; i <= n; i++) {
      b.add(`conv${blk + 1}_${i}_weights`, `features.${idx}.weight`);
      zeroBiases.push(`features.${idx}.bias`);
      idx += 2; // conv, relu
    }
    idx += 1; // maxpool
  });
  // classifier: Linear(fc6), ReLU, Dropout, Linear(fc7), ReLU, Dropout, Linear(fc8)
  b.add('fc6_weights', 'classifier.0.weight', true);
  b.add('fc6_offset', 'classifier.0.bias');
  b.add('fc7_weights', 'classifier.3.weight', true, comp);
  b.add('fc7_offset', 'classifier.3.bias');
  b.add('fc8_weights', 'classifier.6.weight', true, comp);
  b.add('fc8_offset', 'classifier.6.bias');
  return { entries: b.entries, zeroBiases };
}

// ---- The table ----

interface Plan {
  /** The PyTorch architecture names this maps from, per source. */
  arch: Partial<Record<TorchSource, string>>;
  entries: (comp: number) => KeyMapEntry[];
  /** PyTorch keys that must be all zero and are dropped. */
  zeroKeys?: string[];
  /** Differences the user should know about (printed by the import command). */
  notes?: string[];
  /** A state dict this plan recognises but refuses, with why (checked before mapping). */
  refuse?: { test: (keys: readonly string[]) => boolean; reason: string };
}

const RESNET_DEPTHS: Record<string, number[]> = { 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3], 200: [3, 12, 48, 3] };

function plans(): Map<string, Plan> {
  const m = new Map<string, Plan>();
  for (const d of ['50', '101', '152']) {
    const depths = RESNET_DEPTHS[d]!;
    m.set(`ResNet${d}`, { arch: { torchvision: `resnet${d}`, timm: `resnet${d}` }, entries: () => resnetMap({ depths, stem: 'plain', stemConv: 'conv1', fc: ['fc_0.w_0', 'fc_0.b_0'], avgDown: false }) });
    // timm's 'c' (deep stem 32, 32, 64) and 'd' (the same plus avg-down shortcuts) are Paddle's vc / vd exactly;
    // verified by test/interop_timm.test.ts against plain-PyTorch definitions of timm's modules (tools/make_timm_parity.py).
    m.set(`ResNet${d}_vc`, {
      arch: { timm: `resnet${d}c` },
      entries: () => resnetMap({ depths, stem: 'deep', stemConv: 'conv1', fc: ['fc_0.w_0', 'fc_0.b_0'], avgDown: false }),
    });
  }
  for (const d of ['50', '101', '152', '200']) {
    const depths = RESNET_DEPTHS[d]!;
    m.set(`ResNet${d}_vd`, {
      arch: { timm: `resnet${d}d` },
      entries: () => resnetMap({ depths, stem: 'deep', stemConv: 'conv1', fc: ['fc_0.w_0', 'fc_0.b_0'], avgDown: true }),
    });
  }
  for (const d of ['50', '101'] as const) {
    const depths = RESNET_DEPTHS[d]!;
    m.set(`SE_ResNeXt${d}_32x4d`, {
      arch: { timm: `seresnext${d}_32x4d` },
      entries: (c) => seResNeXtMap(depths, c),
      refuse: { test: (keys) => keys.some((k) => LEGACY_SENET_KEY.test(k)), reason: LEGACY_SENET_REASON },
    });
  }
  const resnext = (name: string, depths: number[], arch: Partial<Record<TorchSource, string>>): void => {
    m.set(name, { arch, entries: () => resnetMap({ depths, stem: 'plain', stemConv: 'res_conv1', fc: ['fc_weights', 'fc_offset'], avgDown: false }) });
  };
  resnext('ResNeXt50_32x4d', RESNET_DEPTHS['50']!, { torchvision: 'resnext50_32x4d', timm: 'resnext50_32x4d' });
  // timm's resnext50d_32x4d: the 'd' deep stem (32, 32, 64) and avg-down shortcuts, as Paddle's resnext_vd.py
  m.set('ResNeXt50_vd_32x4d', {
    arch: { timm: 'resnext50d_32x4d' },
    entries: () => resnetMap({ depths: RESNET_DEPTHS['50']!, stem: 'deep', stemConv: 'conv1', fc: ['fc_weights', 'fc_offset'], avgDown: true }),
  });
  resnext('ResNeXt101_32x4d', RESNET_DEPTHS['101']!, { timm: 'resnext101_32x4d' });
  resnext('ResNeXt101_64x4d', RESNET_DEPTHS['101']!, { torchvision: 'resnext101_64x4d', timm: 'resnext101_64x4d' });
  for (const w of ['8', '16', '32', '48']) {
    const arch = { torchvision: `resnext101_32x${w}d`, timm: `resnext101_32x${w}d` };
    m.set(`ResNeXt101_32x${w}d_wsl`, { arch, entries: () => wslMap(RESNET_DEPTHS['101']!) });
  }
  m.set('Fix_ResNeXt101_32x48d_wsl', { arch: { torchvision: 'resnext101_32x48d', timm: 'resnext101_32x48d' }, entries: () => wslMap(RESNET_DEPTHS['101']!) });
  const dense: Record<string, number[]> = { 121: [6, 12, 24, 16], 161: [6, 12, 36, 24], 169: [6, 12, 32, 32], 201: [6, 12, 48, 32], 264: [6, 12, 64, 48] };
  for (const [d, blocks] of Object.entries(dense)) {
    m.set(`DenseNet${d}`, { arch: d === '264' ? { timm: 'densenet264' } : { torchvision: `densenet${d}`, timm: `densenet${d}` }, entries: () => densenetMap(blocks) });
  }
  for (const s of ['0_5', '1_0', '1_5']) {
    m.set(`ShuffleNetV2_x${s}`, { arch: { torchvision: `shufflenet_v2_x${s}` }, entries: () => shufflenetMap() });
  }
  const poolNote = "torchvision's SqueezeNet max-pools in ceil mode, Paddle's in floor mode: at 224 the feature maps differ (e.g. 27 vs 26 after the second pool), so accuracy differs unless the model is built with ceil-mode pooling";
  m.set('SqueezeNet1_0', { arch: { torchvision: 'squeezenet1_0' }, entries: (c) => squeezenetMap('1_0', c), notes: [poolNote] });
  m.set('SqueezeNet1_1', { arch: { torchvision: 'squeezenet1_1' }, entries: (c) => squeezenetMap('1_1', c), notes: [poolNote] });
  m.set('AlexNet', { arch: { torchvision: 'alexnet' }, entries: (c) => alexnetMap(c) });
  for (const [name, blocks] of Object.entries(VGG_BLOCKS)) {
    const v = vggMap(blocks, 1);
    m.set(name, {
      arch: { torchvision: name.toLowerCase() },
      entries: (c) => vggMap(blocks, c).entries,
      zeroKeys: v.zeroBiases,
      notes: ["Paddle's VGG convolutions have no bias: torchvision's conv biases must be zero to import (pretrained torchvision VGG weights are refused)"],
    });
  }
  return m;
}

let PLANS: Map<string, Plan> | undefined;
function planFor(modelName: string): Plan | undefined {
  PLANS ??= plans();
  return PLANS.get(modelName);
}

/** Why a family cannot take torchvision/timm weights (structure differs), or null if it can. */
export function unsupportedReason(modelName: string, source: TorchSource): string | null {
  const p = planFor(modelName);
  if (p) return p.arch[source] ? null : `${modelName}: no ${source} model with the same structure (${Object.keys(p.arch).map((s) => `${s}: ${p.arch[s as TorchSource]}`).join(', ')} instead)`;
  const why: Array<[RegExp, string]> = [
    [/^ResNet(18|34)(_vd)?$/, "Paddle's ResNet18/34 give res2a a 1×1 projection shortcut (res2a_branch1) that torchvision's and timm's lack"],
    [/^MobileNetV2/, "Paddle's MobileNetV2 has an expand 1×1 conv in the first block (conv2_1_expand, 32→32) where torchvision's has none, and no round-to-8 channel widths"],
    [/^MobileNetV1/, 'torchvision and timm have no MobileNetV1 with these layers'],
    [/^ShuffleNetV2_x2_0$/, "torchvision's shufflenet_v2_x2_0 has 244 channels in stage 2, Paddle's ShuffleNetV2_x2_0 has 224"],
    [/^ShuffleNetV2_x0_(25|33)$/, 'torchvision has no ShuffleNetV2 at this width'],
    [/^ShuffleNetV2_.*swish$/, "the swish variants were trained with swish activations; torchvision's ShuffleNetV2 uses ReLU"],
    [/^SE_ResNeXt(50|101)_vd_32x4d$/, "Paddle's vd stem is three 3×3 convs of 64, 64, 128 channels with avg-down shortcuts; timm registers no SE-ResNeXt-50/101 32x4d with that stem (its seresnext26d/101d use other depths or widths, and its 50/101 32x4d have the 7×7 stem)"],
    [/^SE_ResNeXt152_32x4d$/, "Paddle's SE_ResNeXt152_32x4d uses 64 groups of width 2 and a 3-conv stem (64, 64, 128); timm has no SE-ResNeXt-152"],
    [/^SENet154_vd$/, "Paddle's SENet154_vd uses avg-pool + 1×1 conv shortcuts; timm's legacy_senet154 uses 3×3 stride-2 conv shortcuts and a ceil-mode stem pool"],
    [/^GoogLeNet$/, "torchvision's GoogLeNet has batch norm in every conv; Paddle's has none"],
    [/^InceptionV4$/, "no key map yet: timm's inception_v4 uses batch-norm eps 1e-3 where Paddle's uses 1e-5"],
    [/^Xception/, "timm's Xception variants (DeepLab style) differ in block structure from Paddle's"],
    [/^DarkNet53$/, "timm's darknet53 uses leaky ReLU and a different block layout"],
    [/^ResNeXt.*_vd_/, "timm's only deep-stem avg-down ResNeXt of these widths is resnext50d_32x4d (ResNeXt50_vd_32x4d)"],
    [/^ResNeXt152/, 'torchvision and timm have no ResNeXt-152'],
  ];
  for (const [re, msg] of why) if (re.test(modelName)) return `${modelName}: cannot import ${source} weights: ${msg}`;
  return `${modelName}: no ${source} key map for this model`;
}

/** The PyTorch architecture a model maps from, and what to know about the mapping. */
export function describeTorchMapping(modelName: string, source: TorchSource): { arch: string; notes: string[] } {
  const reason = unsupportedReason(modelName, source);
  if (reason) throw new UserError(reason);
  const p = planFor(modelName)!;
  return { arch: p.arch[source]!, notes: [...(p.notes ?? [])] };
}

/** The key map itself, in Paddle manifest order. */
export function torchKeyMap(modelName: string, source: TorchSource, opts: TorchMapOptions = {}): KeyMapEntry[] {
  const reason = unsupportedReason(modelName, source);
  if (reason) throw new UserError(reason);
  return planFor(modelName)!.entries(opts.dropoutCompensation === false ? 1 : 2);
}

/** Model names that have a key map for the source. */
export function torchMappableModels(source: TorchSource): string[] {
  PLANS ??= plans();
  return [...PLANS].filter(([, p]) => p.arch[source]).map(([n]) => n);
}

type TorchTensors = ReadonlyMap<string, TensorLike> | Iterable<{ readonly name: string } & { readonly shape: readonly number[]; readonly data: Float32Array | Int32Array }>;

/**
 * Maps a torchvision/timm state dict onto Paddle names (manifest order), transposing FC weights
 * and dropping num_batches_tracked. Every PyTorch key must be used and every Paddle name found;
 * otherwise one UserError lists what is missing or unexpected.
 */
export function mapTorchStateDict(modelName: string, source: TorchSource, tensors: TorchTensors, opts: TorchMapOptions = {}): Map<string, MappedTensor> {
  const entries = torchKeyMap(modelName, source, opts);
  const plan = planFor(modelName)!;
  const input = new Map<string, { shape: readonly number[]; data: Float32Array | Int32Array }>();
  if (tensors instanceof Map) for (const [k, t] of tensors as ReadonlyMap<string, TensorLike>) input.set(k, { shape: t.shape, data: dataOf(t) });
  else for (const t of tensors as Iterable<{ name: string; shape: readonly number[]; data: Float32Array | Int32Array }>) input.set(t.name, t);
  // Some checkpoints wrap the state dict (DataParallel 'module.' prefix).
  if ([...input.keys()].length > 0 && [...input.keys()].every((k) => k.startsWith('module.'))) {
    const unwrapped = new Map([...input].map(([k, v]) => [k.slice(7), v]));
    input.clear();
    for (const [k, v] of unwrapped) input.set(k, v);
  }
  const arch = plan.arch[source]!;
  if (plan.refuse?.test([...input.keys()])) throw new UserError(`${modelName} from ${source} ${arch}: ${plan.refuse.reason}`);
  const used = new Set<string>();
  const missing: string[] = [];
  const out = new Map<string, MappedTensor>();
  for (const e of entries) {
    const t = input.get(e.torch);
    if (!t) {
      missing.push(e.torch);
      continue;
    }
    used.add(e.torch);
    if (!(t.data instanceof Float32Array)) throw new UserError(`${modelName} from ${source} ${arch}: '${e.torch}' is an integer tensor, expected float32 weights`);
    if (shapeSize(t.shape) !== t.data.length) throw new UserError(`${modelName} from ${source} ${arch}: '${e.torch}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    let shape = [...t.shape];
    let data: Float32Array;
    if (e.transpose) {
      if (e.conv1x1) {
        if (shape.length !== 4 || shape[2] !== 1 || shape[3] !== 1) throw new UserError(`${modelName} from ${source} ${arch}: '${e.torch}' should be a 1×1 conv weight [out, in, 1, 1], has shape [${shape.join(', ')}]`);
        shape = shape.slice(0, 2);
      }
      if (shape.length !== 2) throw new UserError(`${modelName} from ${source} ${arch}: '${e.torch}' should be a 2-D linear weight, has shape [${shape.join(', ')}]`);
      const [o, i] = shape as [number, number];
      data = new Float32Array(o * i);
      const src = t.data;
      for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) data[c * o + r] = src[r * i + c]!;
      shape = [i, o];
    } else {
      data = Float32Array.from(t.data);
    }
    if (e.scale !== 1) for (let k = 0; k < data.length; k++) data[k] = data[k]! * e.scale;
    out.set(e.paddle, { shape, data });
  }
  for (const k of plan.zeroKeys ?? []) {
    const t = input.get(k);
    if (!t) continue;
    used.add(k);
    const nz = t.data.findIndex((v) => v !== 0);
    if (nz >= 0) throw new UserError(`${modelName} from ${source} ${arch}: '${k}' is not zero (element ${nz} = ${t.data[nz]}), but Paddle's ${modelName} convolutions have no bias, so these weights cannot be imported exactly`);
  }
  const unexpected = [...input.keys()].filter((k) => !used.has(k) && !k.endsWith('num_batches_tracked'));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.length} key(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
    if (unexpected.length) parts.push(`unexpected ${unexpected.length} key(s): ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}`);
    throw new UserError(`${modelName} from ${source} ${arch}: the state dict does not match (${parts.join('; ')}); is it a ${arch} checkpoint?`);
  }
  return out;
}
