// MobileNetV1 (scales 0.25, 0.5, 0.75, 1.0) as Paddle's models/mobilenet_v1.py (PADDLE_REFERENCE §6.2):
// conv1 3×3 s2 → 13 depthwise-separable blocks (dw 3×3 + BN + ReLU, pw 1×1 + BN + ReLU) → global
// average pool → fc7. Widths are int(c·scale) with no rounding to multiples of 8. Convs and the fc use
// Fluid's MSRA initialiser (uniform ±√(6/fan_in)), as Paddle passes it explicitly.
import { BatchNorm2d, Conv2d, Linear, Module, msra, convBnForward } from '../nn/index.js';
import { globalAvgPool2d } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';
import { registerModel, type ModelOptions } from './registry.js';

/** Paddle's conv_bn_layer: bias-free conv named `{name}_weights` + BN `{name}_bn_*` with ReLU. */
class ConvBN extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(cin: number, cout: number, k: number, stride: number, padding: number, groups: number, name: string) {
    super();
    this.conv = this.registerModule('conv', new Conv2d({ inChannels: cin, outChannels: cout, kernel: k, stride, padding, groups, weightName: `${name}_weights`, init: initializer(msra()) }));
    const bn = `${name}_bn`;
    this.bn = this.registerModule('bn', new BatchNorm2d({ channels: cout, names: { scale: `${bn}_scale`, offset: `${bn}_offset`, mean: `${bn}_mean`, variance: `${bn}_variance` }, act: 'relu' }));
  }

  forward(x: Tensor): Tensor {
    return convBnForward(this.conv, this.bn, x);
  }
}

/** (dw channels, pw channels, stride, name) before scaling; dw groups = dw channels. */
const BLOCKS: ReadonlyArray<readonly [number, number, number, string]> = [
  [32, 64, 1, 'conv2_1'],
  [64, 128, 2, 'conv2_2'],
  [128, 128, 1, 'conv3_1'],
  [128, 256, 2, 'conv3_2'],
  [256, 256, 1, 'conv4_1'],
  [256, 512, 2, 'conv4_2'],
  [512, 512, 1, 'conv5_1'],
  [512, 512, 1, 'conv5_2'],
  [512, 512, 1, 'conv5_3'],
  [512, 512, 1, 'conv5_4'],
  [512, 512, 1, 'conv5_5'],
  [512, 1024, 2, 'conv5_6'],
  [1024, 1024, 1, 'conv6'],
];

export class MobileNetV1 extends Module {
  readonly classDim: number;
  readonly scale: number;
  private readonly layers: ConvBN[] = [];
  private readonly fc: Linear;

  constructor(scale: number, opts: ModelOptions = {}) {
    super();
    this.scale = scale;
    this.classDim = opts.classDim ?? 1000;
    const s = (c: number): number => Math.trunc(c * scale);
    const add = (m: ConvBN, key: string): void => {
      this.layers.push(this.registerModule(key, m));
    };
    add(new ConvBN(3, s(32), 3, 2, 1, 1, 'conv1'), 'conv1');
    let c = s(32);
    for (const [dw, pw, stride, name] of BLOCKS) {
      // Paddle builds the dw conv with num_filters = groups = int(dw·scale), which equals the input width.
      add(new ConvBN(c, s(dw), 3, stride, 1, s(dw), `${name}_dw`), `${name}_dw`);
      add(new ConvBN(s(dw), s(pw), 1, 1, 0, 1, `${name}_sep`), `${name}_sep`);
      c = s(pw);
    }
    this.fc = this.registerModule('fc7', new Linear({ inFeatures: c, outFeatures: this.classDim, weightName: 'fc7_weights', biasName: 'fc7_offset', init: initializer(msra()) }));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const l of this.layers) y = l.forward(y);
    return this.fc.forward(globalAvgPool2d(y));
  }
}

const SCALES: ReadonlyArray<readonly [string, number]> = [
  ['x0_25', 0.25],
  ['x0_5', 0.5],
  ['x0_75', 0.75],
  ['x1_0', 1.0],
];
for (const [suffix, scale] of SCALES) {
  registerModel({
    name: `MobileNetV1_${suffix}`,
    family: 'mobilenet_v1',
    // [S] exported the 1.0 network as MobileNet/MobileNetV1 (§6.0)
    aliases: scale === 1.0 ? ['MobileNetV1', 'MobileNet'] : [],
    create: (o) => new MobileNetV1(scale, o),
  });
}
