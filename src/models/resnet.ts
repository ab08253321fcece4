// ResNet (models/resnet.py) and the machinery its variants share: the vc/vd deep stem, the vd avgpool
// shortcut and ResNeXt's grouped bottleneck (resnet_vc.ts, resnet_vd.ts and resnext.ts register those).
//  * stride sits on the 3×3 of the bottleneck ("ResNet-B");
//  * basic blocks (18/34) always project in res2a, even though it is 64→64 at stride 1;
//  * 101/152/200 name their res4 blocks res4a, res4b1, res4b2, …;
//  * vd: the downsampling shortcut is avgpool 2×2 s2 (ceil) → 1×1 conv s1 → BN, except in the first stage.
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d, Module, enterChannelsLast } from '../nn/index.js';
import type { Linear } from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConvBN, bnNames, chainForward, fcHead, residualForward } from './layers.js';
import { registerModel } from './registry.js';

export interface ResNetSpec {
  depth: readonly number[];
  block: 'basic' | 'bottleneck';
  /** 3×3 (middle) conv widths per stage */
  widths: readonly number[];
  /** block output channels per stage */
  outs: readonly number[];
  cardinality: number;
  /** 'conv1': 7×7 conv named conv1; 'res_conv1': the same named res_conv1 (ResNeXt); 'deep': conv1_1/2/3 */
  stem: 'conv1' | 'res_conv1' | 'deep';
  /** vd's avgpool → 1×1 conv shortcut outside the first stage */
  avgDown: boolean;
  /** number the blocks of res4 as a, b1, b2, … (101/152/200) */
  numberedRes4: boolean;
  fcNames: [string, string];
}

/** Paddle's conv_bn_layer naming in resnet*.py / resnext*.py: bn_conv1 for the stem, "bn" + name[3:] otherwise. */
function resnetConvBN(name: string, o: { inChannels: number; outChannels: number; kernel: number; stride?: number; groups?: number; relu: boolean }): ConvBN {
  const bnName = name === 'conv1' ? 'bn_conv1' : `bn${name.slice(3)}`;
  return new ConvBN({
    inChannels: o.inChannels,
    outChannels: o.outChannels,
    kernel: o.kernel,
    stride: o.stride ?? 1,
    groups: o.groups ?? 1,
    act: o.relu ? 'relu' : null,
    weightName: `${name}_weights`,
    bn: bnNames(bnName),
  });
}

/** vd's conv_bn_layer_new: avgpool 2×2 s2 (ceil mode, exclusive) then a stride-1 conv + BN. */
class AvgPoolShortcut extends Module {
  readonly pool = new AvgPool2d({ kernel: 2, stride: 2, padding: 0, ceilMode: true });
  readonly conv: ConvBN;

  constructor(name: string, inChannels: number, outChannels: number) {
    super();
    this.registerModule('pool', this.pool);
    this.conv = this.registerModule('conv', resnetConvBN(name, { inChannels, outChannels, kernel: 1, relu: false }));
  }

  forward(x: Tensor): Tensor {
    return this.conv.forward(this.pool.forward(x));
  }
}

class ResidualBlock extends Module {
  readonly convs: ConvBN[];
  readonly shortcut: Module | null;

  constructor(convs: ConvBN[], shortcut: Module | null) {
    super();
    this.convs = convs;
    convs.forEach((c, i) => this.registerModule(`branch2${'abc'[i]}`, c));
    this.shortcut = shortcut === null ? null : this.registerModule('branch1', shortcut);
  }

  forward(x: Tensor): Tensor {
    return residualForward(this.convs, x, this.shortcut === null ? x : this.shortcut.forward(x));
  }
}

export class ResNet extends Module {
  readonly stem: Module[] = [];
  readonly pool = new MaxPool2d({ kernel: 3, stride: 2, padding: 1 });
  readonly blocks: ResidualBlock[] = [];
  readonly gap = new GlobalAvgPool2d();
  readonly fc: Linear;
  /** every layer has a channels-last kernel (not ResNeXt's grouped 3x3), so inference runs NHWC */
  private readonly channelsLastInference: boolean;

  constructor(spec: ResNetSpec, classDim: number) {
    super();
    this.channelsLastInference = spec.cardinality === 1;
    if (spec.stem === 'deep') {
      this.stem.push(resnetConvBN('conv1_1', { inChannels: 3, outChannels: 32, kernel: 3, stride: 2, relu: true }));
      this.stem.push(resnetConvBN('conv1_2', { inChannels: 32, outChannels: 32, kernel: 3, relu: true }));
      this.stem.push(resnetConvBN('conv1_3', { inChannels: 32, outChannels: 64, kernel: 3, relu: true }));
    } else {
      this.stem.push(resnetConvBN(spec.stem, { inChannels: 3, outChannels: 64, kernel: 7, stride: 2, relu: true }));
    }
    this.stem.forEach((m, i) => this.registerModule(`stem${i}`, m));
    this.registerModule('pool', this.pool);

    let ch = 64;
    spec.depth.forEach((n, stage) => {
      for (let i = 0; i < n; i++) {
        const letter = spec.numberedRes4 && stage === 2 ? (i === 0 ? 'a' : `b${i}`) : String.fromCharCode(97 + i);
        const name = `res${stage + 2}${letter}`;
        const stride = i === 0 && stage !== 0 ? 2 : 1;
        const width = spec.widths[stage]!;
        const out = spec.outs[stage]!;
        const convs: ConvBN[] = [];
        if (spec.block === 'bottleneck') {
          convs.push(resnetConvBN(`${name}_branch2a`, { inChannels: ch, outChannels: width, kernel: 1, relu: true }));
          convs.push(resnetConvBN(`${name}_branch2b`, { inChannels: width, outChannels: width, kernel: 3, stride, groups: spec.cardinality, relu: true }));
          convs.push(resnetConvBN(`${name}_branch2c`, { inChannels: width, outChannels: out, kernel: 1, relu: false }));
        } else {
          convs.push(resnetConvBN(`${name}_branch2a`, { inChannels: ch, outChannels: out, kernel: 3, stride, relu: true }));
          convs.push(resnetConvBN(`${name}_branch2b`, { inChannels: out, outChannels: out, kernel: 3, relu: false }));
        }
        // basic blocks (and vd's first block) project in res2a even at 64→64, stride 1
        const isFirst = stage === 0 && i === 0;
        const project = ch !== out || stride !== 1 || (isFirst && (spec.block === 'basic' || spec.avgDown));
        let shortcut: Module | null = null;
        if (project) {
          shortcut =
            spec.avgDown && stage !== 0
              ? new AvgPoolShortcut(`${name}_branch1`, ch, out)
              : resnetConvBN(`${name}_branch1`, { inChannels: ch, outChannels: out, kernel: 1, stride, relu: false });
        }
        const block = new ResidualBlock(convs, shortcut);
        this.blocks.push(this.registerModule(name, block));
        ch = out;
      }
    });
    this.registerModule('gap', this.gap);
    this.fc = this.registerModule('fc', fcHead(ch, classDim, spec.fcNames[0], spec.fcNames[1]));
  }

  forward(x: Tensor): Tensor {
    const first = this.stem[0] as ConvBN;
    const xin = this.channelsLastInference ? enterChannelsLast(x, first.conv, first.bn) : x;
    const s = chainForward(this.stem, xin);
    if (xin !== x) xin.free();
    const p = this.pool.forward(s);
    if (!p.requiresGrad && s !== x) s.free();
    const y = chainForward(this.blocks, p);
    if (!y.requiresGrad && y !== p) p.free();
    const g = this.gap.forward(y);
    if (!g.requiresGrad && y !== p) y.free();
    const out = this.fc.forward(g);
    if (!g.requiresGrad) g.free(); // off the tape: dead once the classifier has read it
    return out;
  }
}

export const RESNET_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 6, 3],
  101: [3, 4, 23, 3],
  152: [3, 8, 36, 3],
  200: [3, 12, 48, 3],
};

/** ResNet / ResNet_vc / ResNet_vd spec for a depth. */
export function resnetSpec(layers: number, variant: '' | 'vc' | 'vd'): ResNetSpec {
  const depth = RESNET_DEPTHS[layers];
  if (!depth) throw new RangeError(`ResNet: unsupported depth ${layers}`);
  const bottleneck = layers >= 50;
  const widths = [64, 128, 256, 512];
  return {
    depth,
    block: bottleneck ? 'bottleneck' : 'basic',
    widths,
    outs: bottleneck ? widths.map((w) => w * 4) : widths,
    cardinality: 1,
    stem: variant === '' ? 'conv1' : 'deep',
    avgDown: variant === 'vd',
    numberedRes4: layers >= 101,
    fcNames: ['fc_0.w_0', 'fc_0.b_0'],
  };
}

for (const layers of [18, 34, 50, 101, 152]) {
  registerModel({
    name: `ResNet${layers}`,
    family: 'resnet',
    create: (o) => new ResNet(resnetSpec(layers, ''), o?.classDim ?? 1000),
  });
}
