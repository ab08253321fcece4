// MobileNetV2 (scales 0.25 … 2.0) as Paddle's models/mobilenet_v2.py (PADDLE_REFERENCE §6.2).
// Two departures from torchvision that change shapes: every inverted-residual unit has its 1×1 expand
// conv even when t = 1 (conv2_1_expand, 32→32), and widths are int(c·scale) with no rounding to
// multiples of 8. Only units 2..n of a stage have the identity shortcut. The last conv has
// int(1280·scale) channels when scale > 1, else 1280. Init: Fluid defaults (conv Normal(0, √(2/(k·k·C_in)))
// with the total C_in even for depthwise convs; fc Xavier uniform).
import { BatchNorm2d, Conv2d, Linear, Module, convDefault, xavier, convBnAddForward, convBnForward, enterChannelsLast, invertedResidualInference } from '../nn/index.js';
import { globalAvgPool2d } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';
import { chainForward } from './layers.js';
import { registerModel, type ModelOptions } from './registry.js';

/** Paddle's conv_bn_layer: bias-free conv `{name}_weights` + BN `{name}_bn_*`, ReLU6 when act. */
class ConvBN extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(cin: number, cout: number, k: number, stride: number, padding: number, groups: number, act: boolean, name: string) {
    super();
    this.conv = this.registerModule('conv', new Conv2d({ inChannels: cin, outChannels: cout, kernel: k, stride, padding, groups, weightName: `${name}_weights`, init: initializer(convDefault(k, k, cin)) }));
    const bn = `${name}_bn`;
    this.bn = this.registerModule('bn', new BatchNorm2d({ channels: cout, names: { scale: `${bn}_scale`, offset: `${bn}_offset`, mean: `${bn}_mean`, variance: `${bn}_variance` }, act: act ? 'relu6' : null }));
  }

  forward(x: Tensor): Tensor {
    return convBnForward(this.conv, this.bn, x);
  }
}

/** expand 1×1 (ReLU6) → depthwise 3×3 stride s (ReLU6) → linear 1×1 (no act), + input when shortcut. */
class InvertedResidual extends Module {
  readonly expand: ConvBN;
  readonly dwise: ConvBN;
  readonly linear: ConvBN;

  constructor(cin: number, cout: number, t: number, stride: number, readonly shortcut: boolean, name: string) {
    super();
    const mid = Math.round(cin * t); // int(round(in·t)); always an integer product here
    this.expand = this.registerModule('expand', new ConvBN(cin, mid, 1, 1, 0, 1, true, `${name}_expand`));
    this.dwise = this.registerModule('dwise', new ConvBN(mid, mid, 3, stride, 1, mid, true, `${name}_dwise`));
    this.linear = this.registerModule('linear', new ConvBN(mid, cout, 1, 1, 0, 1, false, `${name}_linear`));
  }

  forward(x: Tensor): Tensor {
    const fused = invertedResidualInference(this.expand, this.dwise, this.linear, x, this.shortcut);
    if (fused !== null) return fused;
    if (!this.shortcut) return chainForward([this.expand, this.dwise, this.linear], x);
    const h = chainForward([this.expand, this.dwise], x);
    // the linear conv adds the input in its output tiles at inference
    const out = convBnAddForward(this.linear.conv, this.linear.bn, h, x, 'none');
    if (!out.requiresGrad) h.free(); // off the tape: dead once joined
    return out;
  }
}

/** (t, c, n, s) per stage, as Paddle's bottleneck_params_list. */
const SETTINGS: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

export class MobileNetV2 extends Module {
  readonly classDim: number;
  readonly scale: number;
  private readonly layers: Module[] = [];
  private readonly fc: Linear;

  constructor(scale: number, opts: ModelOptions = {}) {
    super();
    this.scale = scale;
    this.classDim = opts.classDim ?? 1000;
    const push = (key: string, m: Module): void => {
      this.layers.push(this.registerModule(key, m));
    };
    let c = Math.trunc(32 * scale);
    push('conv1_1', new ConvBN(3, c, 3, 2, 1, 1, true, 'conv1_1'));
    SETTINGS.forEach(([t, cBase, n, s], stage) => {
      const cout = Math.trunc(cBase * scale);
      for (let i = 0; i < n; i++) {
        const name = `conv${stage + 2}_${i + 1}`;
        push(name, new InvertedResidual(i === 0 ? c : cout, cout, t, i === 0 ? s : 1, i > 0, name));
      }
      c = cout;
    });
    const last = scale > 1.0 ? Math.trunc(1280 * scale) : 1280;
    push('conv9', new ConvBN(c, last, 1, 1, 0, 1, true, 'conv9'));
    this.fc = this.registerModule('fc10', new Linear({ inFeatures: last, outFeatures: this.classDim, weightName: 'fc10_weights', biasName: 'fc10_offset', init: initializer(xavier()) }));
  }

  forward(x: Tensor): Tensor {
    // every layer has a channels-last kernel: inference runs NHWC from the stem on
    const stem = this.layers[0] as ConvBN;
    const xin = enterChannelsLast(x, stem.conv, stem.bn);
    const y = chainForward(this.layers, xin);
    if (xin !== x && y !== xin) xin.free();
    const g = globalAvgPool2d(y);
    if (!g.requiresGrad && y !== x && y !== xin) y.free();
    const out = this.fc.forward(g);
    if (!g.requiresGrad) g.free(); // off the tape: dead once the classifier has read it
    return out;
  }
}

const SCALES: ReadonlyArray<readonly [string, number]> = [
  ['x0_25', 0.25],
  ['x0_5', 0.5],
  ['x0_75', 0.75],
  ['x1_0', 1.0],
  ['x1_5', 1.5],
  ['x2_0', 2.0],
];
for (const [suffix, scale] of SCALES) {
  registerModel({
    name: `MobileNetV2_${suffix}`,
    family: 'mobilenet_v2',
    // the bare class name builds scale 1.0 (§6.0)
    aliases: scale === 1.0 ? ['MobileNetV2'] : [],
    create: (o) => new MobileNetV2(scale, o),
  });
}
