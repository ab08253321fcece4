// SE_ResNeXt (models/se_resnext.py) and SE_ResNeXt_vd / SENet154_vd (models/se_resnext_vd.py).
// Block `{n}_{i}`: conv{n}_{i}_x1 1×1 → _x2 3×3 grouped (stride) → _x3 1×1 → squeeze-excite (fc{n}_{i}_sqz,
// fc{n}_{i}_exc) → add shortcut (conv{n}_{i}_prj when needed) → relu. BN names `{conv}_bn_*`.
// Head: global avgpool → dropout (0.5 for SE_ResNeXt, 0.2 for SENet154_vd, none for the 50/101 vd) → fc6.
import { AvgPool2d, Dropout, GlobalAvgPool2d, Linear, MaxPool2d, Module, fcUniform } from '../nn/index.js';
import { addAct, mul, relu, reshape, sigmoid } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConvBN, bnNames, fcHead, initializer } from './layers.js';
import { registerModel } from './registry.js';

function seConvBN(name: string, o: { inChannels: number; outChannels: number; kernel: number; stride?: number; groups?: number; relu: boolean }): ConvBN {
  return new ConvBN({
    inChannels: o.inChannels,
    outChannels: o.outChannels,
    kernel: o.kernel,
    stride: o.stride ?? 1,
    groups: o.groups ?? 1,
    act: o.relu ? 'relu' : null,
    weightName: `${name}_weights`,
    bn: bnNames(`${name}_bn`),
  });
}

/** Squeeze-excitation: global avgpool → fc C/r relu → fc C sigmoid → scale the channels. */
export class SqueezeExcitation extends Module {
  readonly gap = new GlobalAvgPool2d();
  readonly squeeze: Linear;
  readonly excite: Linear;

  constructor(name: string, channels: number, reduction: number) {
    super();
    const mid = Math.floor(channels / reduction);
    this.registerModule('gap', this.gap);
    this.squeeze = this.registerModule(
      'sqz',
      new Linear({ inFeatures: channels, outFeatures: mid, weightName: `${name}_sqz_weights`, biasName: `${name}_sqz_offset`, init: initializer(fcUniform(channels)) }),
    );
    this.excite = this.registerModule(
      'exc',
      new Linear({ inFeatures: mid, outFeatures: channels, weightName: `${name}_exc_weights`, biasName: `${name}_exc_offset`, init: initializer(fcUniform(mid)) }),
    );
  }

  forward(x: Tensor): Tensor {
    const s = sigmoid(this.excite.forward(relu(this.squeeze.forward(this.gap.forward(x)))));
    // elementwise_mul(x, s, axis=0): s [N, C] lines up with x's first two axes
    return mul(x, reshape(s, [x.shape[0]!, x.shape[1]!, 1, 1]));
  }
}

class AvgPoolProjection extends Module {
  readonly pool = new AvgPool2d({ kernel: 2, stride: 2, padding: 0, ceilMode: true });
  readonly conv: ConvBN;
  constructor(name: string, inChannels: number, outChannels: number) {
    super();
    this.registerModule('pool', this.pool);
    this.conv = this.registerModule('conv', seConvBN(name, { inChannels, outChannels, kernel: 1, relu: false }));
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(this.pool.forward(x));
  }
}

class SEBottleneck extends Module {
  readonly x1: ConvBN;
  readonly x2: ConvBN;
  readonly x3: ConvBN;
  readonly se: SqueezeExcitation;
  readonly shortcut: Module | null;

  constructor(o: { name: string; inChannels: number; width: number; out: number; stride: number; cardinality: number; reduction: number; avgDown: boolean }) {
    super();
    const n = o.name;
    this.x1 = this.registerModule('x1', seConvBN(`conv${n}_x1`, { inChannels: o.inChannels, outChannels: o.width, kernel: 1, relu: true }));
    this.x2 = this.registerModule(
      'x2',
      seConvBN(`conv${n}_x2`, { inChannels: o.width, outChannels: o.width, kernel: 3, stride: o.stride, groups: o.cardinality, relu: true }),
    );
    this.x3 = this.registerModule('x3', seConvBN(`conv${n}_x3`, { inChannels: o.width, outChannels: o.out, kernel: 1, relu: false }));
    this.se = this.registerModule('se', new SqueezeExcitation(`fc${n}`, o.out, o.reduction));
    if (o.inChannels !== o.out || o.stride !== 1) {
      this.shortcut = this.registerModule(
        'prj',
        o.avgDown
          ? new AvgPoolProjection(`conv${n}_prj`, o.inChannels, o.out)
          : seConvBN(`conv${n}_prj`, { inChannels: o.inChannels, outChannels: o.out, kernel: 1, stride: o.stride, relu: false }),
      );
    } else {
      this.shortcut = null;
    }
  }

  forward(x: Tensor): Tensor {
    const y = this.se.forward(this.x3.forward(this.x2.forward(this.x1.forward(x))));
    const s = this.shortcut === null ? x : this.shortcut.forward(x);
    return addAct(s, y, 'relu');
  }
}

export interface SEResNeXtSpec {
  depth: readonly number[];
  cardinality: number;
  widths: readonly number[];
  outs: readonly number[];
  /** 'conv1': 7×7 conv1; 'conv123': conv1/conv2/conv3 3×3 (64, 64, 128); 'deep': conv1_1/2/3 (64, 64, 128) */
  stem: 'conv1' | 'conv123' | 'deep';
  /** first block-name number minus one (1 → blocks 2_1…, 3 → blocks 4_1…) */
  nameBase: number;
  avgDown: boolean;
  dropout: number;
}

export class SEResNeXt extends Module {
  readonly stem: ConvBN[] = [];
  readonly pool = new MaxPool2d({ kernel: 3, stride: 2, padding: 1 });
  readonly blocks: SEBottleneck[] = [];
  readonly gap = new GlobalAvgPool2d();
  readonly drop: Dropout | null;
  readonly fc: Linear;

  constructor(spec: SEResNeXtSpec, classDim: number) {
    super();
    if (spec.stem === 'conv1') {
      this.stem.push(seConvBN('conv1', { inChannels: 3, outChannels: 64, kernel: 7, stride: 2, relu: true }));
    } else {
      const [a, b, c] = spec.stem === 'deep' ? ['conv1_1', 'conv1_2', 'conv1_3'] : ['conv1', 'conv2', 'conv3'];
      this.stem.push(seConvBN(a, { inChannels: 3, outChannels: 64, kernel: 3, stride: 2, relu: true }));
      this.stem.push(seConvBN(b, { inChannels: 64, outChannels: 64, kernel: 3, relu: true }));
      this.stem.push(seConvBN(c, { inChannels: 64, outChannels: 128, kernel: 3, relu: true }));
    }
    this.stem.forEach((m, i) => this.registerModule(`stem${i}`, m));
    this.registerModule('pool', this.pool);
    let ch = this.stem[this.stem.length - 1]!.conv.outChannels;
    spec.depth.forEach((count, stage) => {
      const n = spec.nameBase + stage + 1;
      for (let i = 0; i < count; i++) {
        const block = new SEBottleneck({
          name: `${n}_${i + 1}`,
          inChannels: ch,
          width: spec.widths[stage]!,
          out: spec.outs[stage]!,
          stride: i === 0 && stage !== 0 ? 2 : 1,
          cardinality: spec.cardinality,
          reduction: 16,
          avgDown: spec.avgDown && stage !== 0,
        });
        this.blocks.push(this.registerModule(`${n}_${i + 1}`, block));
        ch = spec.outs[stage]!;
      }
    });
    this.registerModule('gap', this.gap);
    this.drop = spec.dropout > 0 ? this.registerModule('drop', new Dropout({ p: spec.dropout, mode: 'downgrade_in_infer' })) : null;
    this.fc = this.registerModule('fc', fcHead(ch, classDim, 'fc6_weights', 'fc6_offset'));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.stem) y = m.forward(y);
    y = this.pool.forward(y);
    for (const b of this.blocks) y = b.forward(y);
    y = this.gap.forward(y);
    if (this.drop) y = this.drop.forward(y);
    return this.fc.forward(y);
  }
}

const W32 = [128, 256, 512, 1024];
const D = { 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3] } as const;

const SPECS: ReadonlyArray<[string, string, SEResNeXtSpec]> = [
  ['SE_ResNeXt50_32x4d', 'se_resnext', { depth: D[50], cardinality: 32, widths: W32, outs: W32.map((w) => 2 * w), stem: 'conv1', nameBase: 1, avgDown: false, dropout: 0.5 }],
  ['SE_ResNeXt101_32x4d', 'se_resnext', { depth: D[101], cardinality: 32, widths: W32, outs: W32.map((w) => 2 * w), stem: 'conv1', nameBase: 1, avgDown: false, dropout: 0.5 }],
  // the "152_32x4d" of se_resnext.py uses cardinality 64 with the 32x4d widths and a 3-conv stem
  ['SE_ResNeXt152_32x4d', 'se_resnext', { depth: D[152], cardinality: 64, widths: W32, outs: W32.map((w) => 2 * w), stem: 'conv123', nameBase: 3, avgDown: false, dropout: 0.5 }],
  ['SE_ResNeXt50_vd_32x4d', 'se_resnext_vd', { depth: D[50], cardinality: 32, widths: W32, outs: W32.map((w) => 2 * w), stem: 'deep', nameBase: 1, avgDown: true, dropout: 0 }],
  ['SE_ResNeXt101_vd_32x4d', 'se_resnext_vd', { depth: D[101], cardinality: 32, widths: W32, outs: W32.map((w) => 2 * w), stem: 'deep', nameBase: 1, avgDown: true, dropout: 0 }],
  ['SENet154_vd', 'se_resnext_vd', { depth: D[152], cardinality: 64, widths: [256, 512, 1024, 2048], outs: [256, 512, 1024, 2048], stem: 'deep', nameBase: 3, avgDown: true, dropout: 0.2 }],
];

for (const [name, family, spec] of SPECS) {
  registerModel({ name, family, create: (o) => new SEResNeXt(spec, o?.classDim ?? 1000) });
}
