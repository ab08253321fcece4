// Xception41/65/71 as Paddle's models/xception.py (PADDLE_REFERENCE §6.2); input 299×299 (resize_short 320).
//
// Paddle's separable conv is POINTWISE 1×1 + BN first, then DEPTHWISE 3×3 + BN (the reverse of the
// paper), with no activation inside. The entry/exit shortcuts are plain 1×1 strided convs with NO BN.
// conv_bn_layer pads (k−1)/2 and names its BN `bn_{name}_*`; the separable convs' names embed
// `_weights` (e.g. `entry_flow_0_branch2a_weights_sep_weights`, BN `bn_entry_flow_0_branch2a_weights_sep_*`).
//
// Entry: conv1 3×3 s2 32 + ReLU → conv2 3×3 64 + ReLU → blocks (41/65: filters 128, 256, 728, strides 2,2,2;
// 71: 128, 256, 256, 728, 728, strides 2,1,2,1,2; the first block has no leading ReLU). Block: shortcut ‖
// [ReLU] → sep → ReLU → sep → max pool 3 s p1; add. Middle: 8 (41) or 16 (65/71) blocks of
// 3× (ReLU → sep) + identity. Exit: shortcut 1×1 s2 → 1024 ‖ ReLU → sep 728 → ReLU → sep 1024 → max pool
// 3 s2 p1; add → sep 1536 → ReLU → sep 2048 → ReLU → global avg pool → fc.
// Init: Fluid's conv default (Normal(0, √(2/(k·k·C_in))), total C_in for depthwise too); fc Uniform(±1/√2048).
import { BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, convDefault, uniform, convBnForward } from '../nn/index.js';
import type { BatchNormActivation } from '../nn/index.js';
import { add, globalAvgPool2d, relu } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';
import { registerModel, type ModelOptions } from './registry.js';

class ConvBN extends Module {
  private readonly conv: Conv2d;
  private readonly bn: BatchNorm2d;

  constructor(cin: number, cout: number, k: number, stride: number, groups: number, act: BatchNormActivation, name: string) {
    super();
    this.conv = this.registerModule('conv', new Conv2d({ inChannels: cin, outChannels: cout, kernel: k, stride, padding: (k - 1) >> 1, groups, weightName: `${name}_weights`, init: initializer(convDefault(k, k, cin)) }));
    const bn = `bn_${name}`;
    this.bn = this.registerModule('bn', new BatchNorm2d({ channels: cout, names: { scale: `${bn}_scale`, offset: `${bn}_offset`, mean: `${bn}_mean`, variance: `${bn}_variance` }, act }));
  }

  forward(x: Tensor): Tensor {
    return convBnForward(this.conv, this.bn, x);
  }
}

/** Pointwise 1×1 + BN, then depthwise 3×3 + BN; no activation. */
class SeparableConv extends Module {
  private readonly pw: ConvBN;
  private readonly dw: ConvBN;

  constructor(cin: number, cout: number, name: string) {
    super();
    this.pw = this.registerModule('sep', new ConvBN(cin, cout, 1, 1, 1, null, `${name}_sep`));
    this.dw = this.registerModule('dw', new ConvBN(cout, cout, 3, 1, cout, null, `${name}_dw`));
  }

  forward(x: Tensor): Tensor {
    return this.dw.forward(this.pw.forward(x));
  }
}

/** Entry/exit block: 1×1 strided conv shortcut (no BN) + [ReLU] sep → ReLU → sep → max pool 3 s p1. */
class DownBlock extends Module {
  private readonly shortcut: Conv2d;
  private readonly sepA: SeparableConv;
  private readonly sepB: SeparableConv;
  private readonly pool: MaxPool2d;

  constructor(cin: number, midChannels: number, cout: number, stride: number, readonly reluFirst: boolean, name: string) {
    super();
    this.shortcut = this.registerModule('branch1', new Conv2d({ inChannels: cin, outChannels: cout, kernel: 1, stride, weightName: `${name}_branch1_weights`, init: initializer(convDefault(1, 1, cin)) }));
    this.sepA = this.registerModule('branch2a', new SeparableConv(cin, midChannels, `${name}_branch2a_weights`));
    this.sepB = this.registerModule('branch2b', new SeparableConv(midChannels, cout, `${name}_branch2b_weights`));
    this.pool = this.registerModule('pool', new MaxPool2d({ kernel: 3, stride, padding: 1 }));
  }

  forward(x: Tensor): Tensor {
    const short = this.shortcut.forward(x);
    const a = this.sepA.forward(this.reluFirst ? relu(x) : x);
    const b = this.pool.forward(this.sepB.forward(relu(a)));
    return add(short, b);
  }
}

/** Middle block: 3× (ReLU → sep 728) + identity. */
class MiddleBlock extends Module {
  private readonly seps: SeparableConv[];

  constructor(channels: number, name: string) {
    super();
    this.seps = ['a', 'b', 'c'].map((l) => this.registerModule(`branch2${l}`, new SeparableConv(channels, channels, `${name}_branch2${l}_weights`)));
  }

  forward(x: Tensor): Tensor {
    const y = this.seps.reduce((t, s) => s.forward(relu(t)), x);
    return add(x, y);
  }
}

export interface XceptionSpec {
  entryFilters: readonly number[];
  entryStrides: readonly number[];
  middleBlocks: number;
}

export const XCEPTION_SPECS: Readonly<Record<41 | 65 | 71, XceptionSpec>> = {
  41: { entryFilters: [128, 256, 728], entryStrides: [2, 2, 2], middleBlocks: 8 },
  65: { entryFilters: [128, 256, 728], entryStrides: [2, 2, 2], middleBlocks: 16 },
  71: { entryFilters: [128, 256, 256, 728, 728], entryStrides: [2, 1, 2, 1, 2], middleBlocks: 16 },
};

export class Xception extends Module {
  readonly classDim: number;
  readonly depth: 41 | 65 | 71;
  private readonly conv1: ConvBN;
  private readonly conv2: ConvBN;
  private readonly blocks: Module[] = [];
  private readonly exitSep2: SeparableConv;
  private readonly exitSep3: SeparableConv;
  private readonly fc: Linear;

  constructor(depth: 41 | 65 | 71, opts: ModelOptions = {}) {
    super();
    this.depth = depth;
    this.classDim = opts.classDim ?? 1000;
    const spec = XCEPTION_SPECS[depth];
    this.conv1 = this.registerModule('entry_flow_conv1', new ConvBN(3, 32, 3, 2, 1, 'relu', 'entry_flow_conv1'));
    this.conv2 = this.registerModule('entry_flow_conv2', new ConvBN(32, 64, 3, 1, 1, 'relu', 'entry_flow_conv2'));
    let c = 64;
    spec.entryFilters.forEach((f, i) => {
      const name = `entry_flow_${i}`;
      this.blocks.push(this.registerModule(name, new DownBlock(c, f, f, spec.entryStrides[i]!, i > 0, name)));
      c = f;
    });
    for (let i = 0; i < spec.middleBlocks; i++) {
      const name = `middle_flow_${i}`;
      this.blocks.push(this.registerModule(name, new MiddleBlock(c, name)));
    }
    this.blocks.push(this.registerModule('exit_flow_1', new DownBlock(c, 728, 1024, 2, true, 'exit_flow_1')));
    this.exitSep2 = this.registerModule('exit_flow_2', new SeparableConv(1024, 1536, 'exit_flow_2'));
    this.exitSep3 = this.registerModule('exit_flow_3', new SeparableConv(1536, 2048, 'exit_flow_3'));
    const s = 1 / Math.sqrt(2048);
    this.fc = this.registerModule('fc', new Linear({ inFeatures: 2048, outFeatures: this.classDim, weightName: 'fc_weights', biasName: 'fc_offset', init: initializer(uniform(-s, s)) }));
  }

  forward(x: Tensor): Tensor {
    let y = this.conv2.forward(this.conv1.forward(x));
    for (const b of this.blocks) y = b.forward(y);
    y = relu(this.exitSep2.forward(y));
    y = relu(this.exitSep3.forward(y));
    return this.fc.forward(globalAvgPool2d(y));
  }
}

for (const depth of [41, 65, 71] as const) {
  registerModel({
    name: `Xception${depth}`,
    family: 'xception',
    // [S] spelling (Xception_41 …), also the seed README's
    aliases: [`Xception_${depth}`],
    config: { inputSize: [3, 299, 299], resizeShort: 320 },
    create: (o) => new Xception(depth, o),
  });
}
