// ShuffleNetV2 (scales 0.25 … 2.0) and ShuffleNetV2_swish (0.5 … 2.0) as Paddle's
// models/shufflenet_v2.py and shufflenet_v2_swish.py (PADDLE_REFERENCE §6.2).
//
// Stem 3×3 s2 conv + BN + act → max pool 3 s2 p1 → stages of [4, 8, 4] units → conv5 1×1 + BN + act →
// a FIXED 7×7 stride-1 average pool (not global) → fc6. Because that pool is fixed and the fc flattens
// what it gives, the network accepts 224×224 inputs only (7×7 final maps), as in Paddle.
// The swish variants are identical except that every BN with an activation uses swish instead of ReLU.
//
// Stride-1 unit: split channels in halves x1 | x2; x2 → 1×1 (act) → dw 3×3 (no act) → 1×1 (act);
// concat[x1, branch]. Stride-2 unit: branch1 = dw 3×3 s2 (no act) → 1×1 (act) on the whole input
// (conv4, conv5), branch2 = 1×1 (act) → dw 3×3 s2 → 1×1 (act) (conv1..3); concat[branch1, branch2].
// Both end with channel_shuffle(groups = 2). Paddle creates conv4/conv5 before conv1..3 in a stride-2
// unit, which is the order of the state dict.
//
// Init: Fluid's MSRA (uniform ±√(6/fan_in)) for every conv and the fc, as Paddle passes it explicitly.
import { BatchNorm2d, Conv2d, Linear, MaxPool2d, AvgPool2d, Module, msra, convBnForward } from '../nn/index.js';
import type { BatchNormActivation } from '../nn/index.js';
import { concat, reshape, split, transpose } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';
import { registerModel, type ModelOptions } from './registry.js';

type Act = 'relu' | 'swish';

/** Paddle's conv_bn_layer: bias-free MSRA conv `{name}_weights` + BN `{name}_bn_*` (act or none). */
class ConvBN extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(cin: number, cout: number, k: number, stride: number, padding: number, groups: number, act: BatchNormActivation, name: string) {
    super();
    this.conv = this.registerModule('conv', new Conv2d({ inChannels: cin, outChannels: cout, kernel: k, stride, padding, groups, weightName: `${name}_weights`, init: initializer(msra()) }));
    const bn = `${name}_bn`;
    this.bn = this.registerModule('bn', new BatchNorm2d({ channels: cout, names: { scale: `${bn}_scale`, offset: `${bn}_offset`, mean: `${bn}_mean`, variance: `${bn}_variance` }, act }));
  }

  forward(x: Tensor): Tensor {
    return convBnForward(this.conv, this.bn, x);
  }
}

/** reshape [N, g, C/g, H, W] → transpose(0, 2, 1, 3, 4) → reshape [N, C, H, W]. */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const y = transpose(reshape(x, [n, groups, c / groups, h, w]), [0, 2, 1, 3, 4]);
  return reshape(y, [n, c, h, w]);
}

class ShuffleUnit extends Module {
  private readonly branch1: ConvBN[] = [];
  private readonly branch2: ConvBN[] = [];

  constructor(cin: number, cout: number, readonly stride: 1 | 2, act: Act, name: string) {
    super();
    const half = Math.trunc(cout / 2);
    const p = `stage_${name}`;
    if (stride === 2) {
      this.branch1.push(this.registerModule('conv4', new ConvBN(cin, cin, 3, 2, 1, cin, null, `${p}_conv4`)));
      this.branch1.push(this.registerModule('conv5', new ConvBN(cin, half, 1, 1, 0, 1, act, `${p}_conv5`)));
    }
    const inner = stride === 2 ? cin : Math.trunc(cin / 2);
    this.branch2.push(this.registerModule('conv1', new ConvBN(inner, half, 1, 1, 0, 1, act, `${p}_conv1`)));
    this.branch2.push(this.registerModule('conv2', new ConvBN(half, half, 3, stride, 1, half, null, `${p}_conv2`)));
    this.branch2.push(this.registerModule('conv3', new ConvBN(half, half, 1, 1, 0, 1, act, `${p}_conv3`)));
  }

  forward(x: Tensor): Tensor {
    const run = (layers: ConvBN[], t: Tensor): Tensor => layers.reduce((y, l) => l.forward(y), t);
    let out: Tensor;
    if (this.stride === 1) {
      const c = x.shape[1]!;
      const [x1, x2] = split(x, [Math.trunc(c / 2), Math.trunc(c / 2)], 1) as [Tensor, Tensor];
      out = concat([x1, run(this.branch2, x2)], 1);
    } else {
      out = concat([run(this.branch1, x), run(this.branch2, x)], 1);
    }
    return channelShuffle(out, 2);
  }
}

/** Stage output channels [stage2, stage3, stage4, conv5] per scale (Paddle's stage_out_channels[2:]). */
export const SHUFFLENET_V2_CHANNELS: Readonly<Record<string, readonly [number, number, number, number]>> = {
  '0.25': [24, 48, 96, 512],
  '0.33': [32, 64, 128, 512],
  '0.5': [48, 96, 192, 1024],
  '1.0': [116, 232, 464, 1024],
  '1.5': [176, 352, 704, 1024],
  '2.0': [224, 488, 976, 2048],
};
const REPEATS = [4, 8, 4];

export class ShuffleNetV2 extends Module {
  readonly classDim: number;
  readonly scale: string;
  readonly act: Act;
  private readonly stem: ConvBN;
  private readonly pool = new MaxPool2d({ kernel: 3, stride: 2, padding: 1 });
  private readonly units: ShuffleUnit[] = [];
  private readonly conv5: ConvBN;
  private readonly lastPool = new AvgPool2d({ kernel: 7, stride: 1 });
  private readonly fc: Linear;

  /** scale: one of the keys of SHUFFLENET_V2_CHANNELS ('0.25', '0.33', '0.5', '1.0', '1.5', '2.0'). */
  constructor(scale: string, act: Act, opts: ModelOptions = {}) {
    super();
    const channels = SHUFFLENET_V2_CHANNELS[scale];
    if (channels === undefined) throw new RangeError(`ShuffleNetV2: scale ${scale} is not supported (Paddle raises NotImplementedError)`);
    this.scale = scale;
    this.act = act;
    this.classDim = opts.classDim ?? 1000;
    this.stem = this.registerModule('stage1_conv', new ConvBN(3, 24, 3, 2, 1, 1, act, 'stage1_conv'));
    this.registerModule('pool', this.pool);
    let c = 24;
    REPEATS.forEach((n, stage) => {
      const cout = channels[stage]!;
      for (let i = 0; i < n; i++) {
        const name = `${stage + 2}_${i + 1}`;
        this.units.push(this.registerModule(`stage_${name}`, new ShuffleUnit(c, cout, i === 0 ? 2 : 1, act, name)));
        c = cout;
      }
    });
    const last = channels[3];
    this.conv5 = this.registerModule('conv5', new ConvBN(c, last, 1, 1, 0, 1, act, 'conv5'));
    this.registerModule('lastPool', this.lastPool);
    this.fc = this.registerModule('fc6', new Linear({ inFeatures: last, outFeatures: this.classDim, weightName: 'fc6_weights', biasName: 'fc6_offset', init: initializer(msra()) }));
  }

  forward(x: Tensor): Tensor {
    let y = this.pool.forward(this.stem.forward(x));
    for (const u of this.units) y = u.forward(y);
    return this.fc.forward(this.lastPool.forward(this.conv5.forward(y)));
  }
}

const SCALES: ReadonlyArray<readonly [string, string]> = [
  ['x0_25', '0.25'],
  ['x0_33', '0.33'],
  ['x0_5', '0.5'],
  ['x1_0', '1.0'],
  ['x1_5', '1.5'],
  ['x2_0', '2.0'],
];
for (const [suffix, scale] of SCALES) {
  registerModel({
    name: `ShuffleNetV2_${suffix}`,
    family: 'shufflenet_v2',
    aliases: scale === '1.0' ? ['ShuffleNetV2'] : [],
    create: (o) => new ShuffleNetV2(scale, 'relu', o),
  });
}
for (const [suffix, scale] of SCALES.filter(([, s]) => s !== '0.25' && s !== '0.33')) {
  registerModel({
    name: `ShuffleNetV2_${suffix}_swish`,
    family: 'shufflenet_v2_swish',
    aliases: scale === '1.0' ? ['ShuffleNetV2_swish'] : [],
    create: (o) => new ShuffleNetV2(scale, 'swish', o),
  });
}
