// DenseNet121/161/169/201/264 (models/densenet.py). Pre-activation dense layers: BN relu → 1×1 (4·growth) →
// BN relu → 3×3 (growth) → concat[input, new]. Transitions: BN relu → 1×1 to half the features → avgpool 2 s2.
// The BN of each pair is created before its conv, so the manifest lists `*_bn_*` ahead of `*_weights`.
import { AvgPool2d, BatchNorm2d, Conv2d, GlobalAvgPool2d, MaxPool2d, Module } from '../nn/index.js';
import type { Linear } from '../nn/index.js';
import { concat } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { bnNames, convInit, fcHead } from './layers.js';
import { registerModel } from './registry.js';

/** BN (relu) then a bias-free conv: the pre-activation pair. */
class BnReluConv extends Module {
  readonly bn: BatchNorm2d;
  readonly conv: Conv2d;
  constructor(name: string, inChannels: number, outChannels: number, kernel: number) {
    super();
    this.bn = this.registerModule('bn', new BatchNorm2d({ channels: inChannels, names: bnNames(`${name}_bn`), act: 'relu' }));
    this.conv = this.registerModule(
      'conv',
      new Conv2d({ inChannels, outChannels, kernel, padding: (kernel - 1) / 2, weightName: `${name}_weights`, init: convInit(kernel, inChannels) }),
    );
  }
  forward(x: Tensor): Tensor {
    const a = this.bn.forward(x);
    const y = this.conv.forward(a);
    if (!y.requiresGrad && a !== x) a.free(); // off the tape nothing else holds it
    return y;
  }
}

class DenseLayer extends Module {
  readonly x1: BnReluConv;
  readonly x2: BnReluConv;
  constructor(name: string, inChannels: number, growth: number, bnSize: number) {
    super();
    this.x1 = this.registerModule('x1', new BnReluConv(`${name}_x1`, inChannels, bnSize * growth, 1));
    this.x2 = this.registerModule('x2', new BnReluConv(`${name}_x2`, bnSize * growth, growth, 3));
  }
  forward(x: Tensor): Tensor {
    return concat([x, this.x2.forward(this.x1.forward(x))], 1);
  }
}

class Transition extends Module {
  readonly conv: BnReluConv;
  readonly pool = new AvgPool2d({ kernel: 2, stride: 2 });
  constructor(name: string, inChannels: number, outChannels: number) {
    super();
    this.conv = this.registerModule('conv', new BnReluConv(name, inChannels, outChannels, 1));
    this.registerModule('pool', this.pool);
  }
  forward(x: Tensor): Tensor {
    return this.pool.forward(this.conv.forward(x));
  }
}

export interface DenseNetSpec {
  initFeatures: number;
  growth: number;
  blocks: readonly number[];
}

export class DenseNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly pool = new MaxPool2d({ kernel: 3, stride: 2, padding: 1 });
  readonly stages: Module[] = [];
  readonly bnFinal: BatchNorm2d;
  readonly gap = new GlobalAvgPool2d();
  readonly fc: Linear;

  constructor(spec: DenseNetSpec, classDim: number) {
    super();
    const bnSize = 4;
    this.conv1 = this.registerModule('conv1', new Conv2d({ inChannels: 3, outChannels: spec.initFeatures, kernel: 7, stride: 2, padding: 3, weightName: 'conv1_weights', init: convInit(7, 3) }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ channels: spec.initFeatures, names: bnNames('conv1_bn'), act: 'relu' }));
    this.registerModule('pool', this.pool);
    let features = spec.initFeatures;
    spec.blocks.forEach((layers, i) => {
      const b = i + 2;
      for (let l = 0; l < layers; l++) {
        this.stages.push(this.registerModule(`conv${b}_${l + 1}`, new DenseLayer(`conv${b}_${l + 1}`, features, spec.growth, bnSize)));
        features += spec.growth;
      }
      if (i !== spec.blocks.length - 1) {
        const out = Math.floor(features / 2);
        this.stages.push(this.registerModule(`conv${b}_blk`, new Transition(`conv${b}_blk`, features, out)));
        features = out;
      }
    });
    this.bnFinal = this.registerModule('bn5', new BatchNorm2d({ channels: features, names: bnNames('conv5_blk_bn'), act: 'relu' }));
    this.registerModule('gap', this.gap);
    this.fc = this.registerModule('fc', fcHead(features, classDim, 'fc_weights', 'fc_offset'));
  }

  forward(x: Tensor): Tensor {
    let y = this.pool.forward(this.bn1.forward(this.conv1.forward(x)));
    for (const s of this.stages) y = s.forward(y);
    return this.fc.forward(this.gap.forward(this.bnFinal.forward(y)));
  }
}

const SPECS: Readonly<Record<number, DenseNetSpec>> = {
  121: { initFeatures: 64, growth: 32, blocks: [6, 12, 24, 16] },
  161: { initFeatures: 96, growth: 48, blocks: [6, 12, 36, 24] },
  169: { initFeatures: 64, growth: 32, blocks: [6, 12, 32, 32] },
  201: { initFeatures: 64, growth: 32, blocks: [6, 12, 48, 32] },
  264: { initFeatures: 64, growth: 32, blocks: [6, 12, 64, 48] },
};

for (const layers of [121, 161, 169, 201, 264]) {
  registerModel({ name: `DenseNet${layers}`, family: 'densenet', create: (o) => new DenseNet(SPECS[layers]!, o?.classDim ?? 1000) });
}
