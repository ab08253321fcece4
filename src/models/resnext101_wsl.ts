// ResNeXt101_32x{8,16,32,48}d_wsl and Fix_ResNeXt101_32x48d_wsl (models/resnext101_wsl.py): torchvision's
// ResNeXt-101 converted from PyTorch Hub (facebookresearch/WSL-Images), keeping PyTorch parameter names but
// Paddle's fc layout [in, out]. Bottleneck width 32·w·[1, 2, 4, 8], outputs [256, 512, 1024, 2048], stride on
// the grouped 3×3 (conv2). Fix_… is the same network evaluated at 320.
import { GlobalAvgPool2d, MaxPool2d, Module } from '../nn/index.js';
import type { Linear } from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConvBN, fcHead, residualForward } from './layers.js';
import type { BnNames } from './layers.js';
import { registerModel } from './registry.js';

function torchBn(prefix: string): BnNames {
  return { scale: `${prefix}.weight`, offset: `${prefix}.bias`, mean: `${prefix}.running_mean`, variance: `${prefix}.running_var` };
}

function convBN(conv: string, bn: string, o: { inChannels: number; outChannels: number; kernel: number; stride?: number; groups?: number; relu: boolean }): ConvBN {
  return new ConvBN({
    inChannels: o.inChannels,
    outChannels: o.outChannels,
    kernel: o.kernel,
    stride: o.stride ?? 1,
    groups: o.groups ?? 1,
    act: o.relu ? 'relu' : null,
    weightName: `${conv}.weight`,
    bn: torchBn(bn),
  });
}

class WslBottleneck extends Module {
  readonly convs: ConvBN[];
  readonly downsample: ConvBN | null;
  constructor(name: string, inChannels: number, width: number, out: number, stride: number, cardinality: number) {
    super();
    this.convs = [
      convBN(`${name}.conv1`, `${name}.bn1`, { inChannels, outChannels: width, kernel: 1, relu: true }),
      convBN(`${name}.conv2`, `${name}.bn2`, { inChannels: width, outChannels: width, kernel: 3, stride, groups: cardinality, relu: true }),
      convBN(`${name}.conv3`, `${name}.bn3`, { inChannels: width, outChannels: out, kernel: 1, relu: false }),
    ];
    this.convs.forEach((c, i) => this.registerModule(`conv${i + 1}`, c));
    this.downsample =
      inChannels !== out || stride !== 1
        ? this.registerModule('downsample', convBN(`${name}.downsample.0`, `${name}.downsample.1`, { inChannels, outChannels: out, kernel: 1, stride, relu: false }))
        : null;
  }
  forward(x: Tensor): Tensor {
    return residualForward(this.convs, x, this.downsample === null ? x : this.downsample.forward(x));
  }
}

export class ResNeXt101Wsl extends Module {
  readonly stem: ConvBN;
  readonly pool = new MaxPool2d({ kernel: 3, stride: 2, padding: 1 });
  readonly blocks: WslBottleneck[] = [];
  readonly gap = new GlobalAvgPool2d();
  readonly fc: Linear;

  constructor(widthPerGroup: number, classDim: number) {
    super();
    const cardinality = 32;
    this.stem = this.registerModule('conv1', convBN('conv1', 'bn1', { inChannels: 3, outChannels: 64, kernel: 7, stride: 2, relu: true }));
    this.registerModule('pool', this.pool);
    const depth = [3, 4, 23, 3];
    const outs = [256, 512, 1024, 2048];
    let ch = 64;
    depth.forEach((n, stage) => {
      const width = cardinality * widthPerGroup * 2 ** stage;
      for (let i = 0; i < n; i++) {
        const name = `layer${stage + 1}.${i}`;
        const b = new WslBottleneck(name, ch, width, outs[stage]!, i === 0 && stage !== 0 ? 2 : 1, cardinality);
        this.blocks.push(this.registerModule(name, b));
        ch = outs[stage]!;
      }
    });
    this.registerModule('gap', this.gap);
    this.fc = this.registerModule('fc', fcHead(ch, classDim, 'fc.weight', 'fc.bias'));
  }

  forward(x: Tensor): Tensor {
    let y = this.pool.forward(this.stem.forward(x));
    for (const b of this.blocks) y = b.forward(y);
    return this.fc.forward(this.gap.forward(y));
  }
}

for (const w of [8, 16, 32, 48]) {
  registerModel({ name: `ResNeXt101_32x${w}d_wsl`, family: 'resnext101_wsl', create: (o) => new ResNeXt101Wsl(w, o?.classDim ?? 1000) });
}
registerModel({
  name: 'Fix_ResNeXt101_32x48d_wsl',
  family: 'resnext101_wsl',
  create: (o) => new ResNeXt101Wsl(48, o?.classDim ?? 1000),
  config: { inputSize: [3, 320, 320], resizeShort: 320 },
});
