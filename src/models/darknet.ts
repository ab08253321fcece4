// DarkNet53 (models/darknet.py; input 256). conv (no bias) + BN + plain ReLU (not leaky). Residual blocks
// `stage.{i}.{j}`: .0 1×1 → ch, .1 3×3 → 2ch, then add with NO activation after it. A 3×3 s2 downsample
// doubles the channels between stages. Names: `{name}.conv.weights`, `{name}.bn.{scale,offset,mean,var}`.
import { GlobalAvgPool2d, Module } from '../nn/index.js';
import type { Linear } from '../nn/index.js';
import { add } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConvBN, bnNames, fcHead } from './layers.js';
import { registerModel } from './registry.js';

function darkConvBN(name: string, inChannels: number, outChannels: number, kernel: number, stride: number): ConvBN {
  return new ConvBN({
    inChannels,
    outChannels,
    kernel,
    stride,
    padding: (kernel - 1) / 2,
    act: 'relu',
    weightName: `${name}.conv.weights`,
    bn: bnNames(`${name}.bn`, '.', 'var'),
  });
}

class DarkBlock extends Module {
  readonly c0: ConvBN;
  readonly c1: ConvBN;
  constructor(name: string, inChannels: number, ch: number) {
    super();
    this.c0 = this.registerModule('0', darkConvBN(`${name}.0`, inChannels, ch, 1, 1));
    this.c1 = this.registerModule('1', darkConvBN(`${name}.1`, ch, ch * 2, 3, 1));
  }
  forward(x: Tensor): Tensor {
    return add(x, this.c1.forward(this.c0.forward(x)));
  }
}

export class DarkNet53 extends Module {
  readonly layers: Module[] = [];
  readonly gap = new GlobalAvgPool2d();
  readonly fc: Linear;

  constructor(classDim: number) {
    super();
    const push = (key: string, m: Module): void => {
      this.layers.push(this.registerModule(key, m));
    };
    push('yolo_input', darkConvBN('yolo_input', 3, 32, 3, 1));
    push('yolo_input.downsample', darkConvBN('yolo_input.downsample', 32, 64, 3, 2));
    const stages = [1, 2, 8, 8, 4];
    let ch = 64;
    stages.forEach((count, i) => {
      const width = 32 * 2 ** i;
      for (let j = 0; j < count; j++) push(`stage.${i}.${j}`, new DarkBlock(`stage.${i}.${j}`, ch, width));
      ch = width * 2;
      if (i < stages.length - 1) {
        push(`stage.${i}.downsample`, darkConvBN(`stage.${i}.downsample`, ch, ch * 2, 3, 2));
        ch *= 2;
      }
    });
    this.registerModule('gap', this.gap);
    this.fc = this.registerModule('fc', fcHead(ch, classDim, 'fc_weights', 'fc_offset'));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return this.fc.forward(this.gap.forward(y));
  }
}

registerModel({
  name: 'DarkNet53',
  family: 'darknet',
  create: (o) => new DarkNet53(o?.classDim ?? 1000),
  config: { inputSize: [3, 256, 256], resizeShort: 256 },
});
