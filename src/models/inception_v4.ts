// InceptionV4 as Paddle's models/inception_v4.py (PADDLE_REFERENCE §6.2); input 299×299 (resize_short 320).
//
// conv_bn_layer = bias-free conv (padding 0 unless given) + BN + ReLU, named `{name}_weights` and
// `{name}_bn_*`. Stem → 4× InceptionA (35×35) → ReductionA → 7× InceptionB (17×17) → ReductionB →
// 3× InceptionC (8×8) → global avg pool → dropout 0.2 (×0.8 at inference) → final_fc.
// The A/B/C pool branches are 3×3 stride-1 pad-1 average pools, exclusive of padding (Paddle's default).
//
// Asymmetric kernels follow Paddle's names, which do not always match the kernel: in the stem,
// `inception_stem2_1x7` has kernel (7,1) with padding (3,0) and `inception_stem2_7x1` has (1,7) with (0,3);
// everywhere else `_1x7` is (1,7) and `_7x1` is (7,1), `_1x3` is (1,3) and `_3x1` is (3,1).
// Init: Fluid's conv default (Normal(0, √(2/(kh·kw·C_in)))); final_fc Uniform(±1/√1536).
import { BatchNorm2d, Conv2d, Dropout, Linear, MaxPool2d, AvgPool2d, Module, convDefault, pair, uniform, convBnForward } from '../nn/index.js';
import type { Pair, Padding } from '../nn/index.js';
import { concat, globalAvgPool2d } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';
import { registerModel, type ModelOptions } from './registry.js';

class ConvBN extends Module {
  readonly outChannels: number;
  private readonly conv: Conv2d;
  private readonly bn: BatchNorm2d;

  constructor(cin: number, cout: number, kernel: Pair, name: string, o: { stride?: number; padding?: Padding } = {}) {
    super();
    const [kh, kw] = pair(kernel);
    this.conv = this.registerModule(
      'conv',
      new Conv2d({ inChannels: cin, outChannels: cout, kernel, stride: o.stride ?? 1, padding: o.padding ?? 0, weightName: `${name}_weights`, init: initializer(convDefault(kh, kw, cin)) }),
    );
    const bn = `${name}_bn`;
    this.bn = this.registerModule('bn', new BatchNorm2d({ channels: cout, names: { scale: `${bn}_scale`, offset: `${bn}_offset`, mean: `${bn}_mean`, variance: `${bn}_variance` }, act: 'relu' }));
    this.outChannels = cout;
  }

  forward(x: Tensor): Tensor {
    return convBnForward(this.conv, this.bn, x);
  }
}

/** A chain of ConvBN applied in order. */
class Chain extends Module {
  readonly outChannels: number;
  private readonly layers: ConvBN[];

  constructor(layers: ConvBN[]) {
    super();
    layers.forEach((l, i) => this.registerModule(String(i), l));
    this.layers = layers;
    this.outChannels = layers[layers.length - 1]!.outChannels;
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((y, l) => l.forward(y), x);
  }
}

const K17: Pair = [1, 7];
const K71: Pair = [7, 1];
const P17: Padding = [0, 3];
const P71: Padding = [3, 0];
const K13: Pair = [1, 3];
const K31: Pair = [3, 1];
const P13: Padding = [0, 1];
const P31: Padding = [1, 0];

class Stem extends Module {
  private readonly trunk: Chain;
  private readonly pool = new MaxPool2d({ kernel: 3, stride: 2 });
  private readonly s1: ConvBN;
  private readonly s2a: Chain;
  private readonly s2b: Chain;
  private readonly s3: ConvBN;

  constructor() {
    super();
    this.trunk = this.registerModule(
      'trunk',
      new Chain([
        new ConvBN(3, 32, 3, 'conv1_3x3_s2', { stride: 2 }),
        new ConvBN(32, 32, 3, 'conv2_3x3_s1'),
        new ConvBN(32, 64, 3, 'conv3_3x3_s1', { padding: 1 }),
      ]),
    );
    this.registerModule('pool', this.pool);
    this.s1 = this.registerModule('stem1', new ConvBN(64, 96, 3, 'inception_stem1_3x3_s2', { stride: 2 }));
    this.s2a = this.registerModule('stem2a', new Chain([new ConvBN(160, 64, 1, 'inception_stem2_3x3_reduce'), new ConvBN(64, 96, 3, 'inception_stem2_3x3')]));
    this.s2b = this.registerModule(
      'stem2b',
      new Chain([
        new ConvBN(160, 64, 1, 'inception_stem2_1x7_reduce'),
        new ConvBN(64, 64, K71, 'inception_stem2_1x7', { padding: P71 }),
        new ConvBN(64, 64, K17, 'inception_stem2_7x1', { padding: P17 }),
        new ConvBN(64, 96, 3, 'inception_stem2_3x3_2'),
      ]),
    );
    this.s3 = this.registerModule('stem3', new ConvBN(192, 192, 3, 'inception_stem3_3x3_s2', { stride: 2 }));
  }

  forward(x: Tensor): Tensor {
    const t = this.trunk.forward(x);
    const c1 = concat([this.pool.forward(t), this.s1.forward(t)], 1);
    const c2 = concat([this.s2a.forward(c1), this.s2b.forward(c1)], 1);
    return concat([this.s3.forward(c2), this.pool.forward(c2)], 1);
  }
}

/** avg-pool branch + parallel conv chains, concatenated (InceptionA/B/C). */
class InceptionBlock extends Module {
  private readonly pool = new AvgPool2d({ kernel: 3, stride: 1, padding: 1 });
  private readonly poolConv: ConvBN;
  /** each branch: a chain, optionally ending in two parallel heads whose outputs are both concatenated */
  private readonly branches: { chain: Chain | null; heads: ConvBN[] }[];

  constructor(poolConv: ConvBN, branches: { chain: Chain | null; heads: ConvBN[] }[]) {
    super();
    this.registerModule('pool', this.pool);
    this.poolConv = this.registerModule('pool_conv', poolConv);
    branches.forEach((b, i) => {
      if (b.chain) this.registerModule(`b${i}`, b.chain);
      b.heads.forEach((h, j) => this.registerModule(`b${i}_h${j}`, h));
    });
    this.branches = branches;
  }

  forward(x: Tensor): Tensor {
    const outs = [this.poolConv.forward(this.pool.forward(x))];
    for (const b of this.branches) {
      const y = b.chain ? b.chain.forward(x) : x;
      if (b.heads.length === 0) outs.push(y);
      else for (const h of b.heads) outs.push(h.forward(y));
    }
    return concat(outs, 1);
  }
}

function inceptionA(i: number): InceptionBlock {
  const n = `inception_a${i}`;
  // Paddle's creation order: pool 1×1, 1×1_2, 3×3_reduce, 3×3, 3×3_2_reduce, 3×3_2, 3×3_3.
  const poolConv = new ConvBN(384, 96, 1, `${n}_1x1`);
  return new InceptionBlock(poolConv, [
    { chain: new Chain([new ConvBN(384, 96, 1, `${n}_1x1_2`)]), heads: [] },
    { chain: new Chain([new ConvBN(384, 64, 1, `${n}_3x3_reduce`), new ConvBN(64, 96, 3, `${n}_3x3`, { padding: 1 })]), heads: [] },
    {
      chain: new Chain([
        new ConvBN(384, 64, 1, `${n}_3x3_2_reduce`),
        new ConvBN(64, 96, 3, `${n}_3x3_2`, { padding: 1 }),
        new ConvBN(96, 96, 3, `${n}_3x3_3`, { padding: 1 }),
      ]),
      heads: [],
    },
  ]);
}

function inceptionB(i: number): InceptionBlock {
  const n = `inception_b${i}`;
  const poolConv = new ConvBN(1024, 128, 1, `${n}_1x1`);
  return new InceptionBlock(poolConv, [
    { chain: new Chain([new ConvBN(1024, 384, 1, `${n}_1x1_2`)]), heads: [] },
    {
      chain: new Chain([
        new ConvBN(1024, 192, 1, `${n}_1x7_reduce`),
        new ConvBN(192, 224, K17, `${n}_1x7`, { padding: P17 }),
        new ConvBN(224, 256, K71, `${n}_7x1`, { padding: P71 }),
      ]),
      heads: [],
    },
    {
      chain: new Chain([
        new ConvBN(1024, 192, 1, `${n}_7x1_2_reduce`),
        new ConvBN(192, 192, K17, `${n}_1x7_2`, { padding: P17 }),
        new ConvBN(192, 224, K71, `${n}_7x1_2`, { padding: P71 }),
        new ConvBN(224, 224, K17, `${n}_1x7_3`, { padding: P17 }),
        new ConvBN(224, 256, K71, `${n}_7x1_3`, { padding: P71 }),
      ]),
      heads: [],
    },
  ]);
}

function inceptionC(i: number): InceptionBlock {
  const n = `inception_c${i}`;
  const poolConv = new ConvBN(1536, 256, 1, `${n}_1x1`);
  const b2 = new Chain([new ConvBN(1536, 256, 1, `${n}_1x1_2`)]);
  const b3 = new Chain([new ConvBN(1536, 384, 1, `${n}_1x1_3`)]);
  const b3heads = [new ConvBN(384, 256, K13, `${n}_1x3`, { padding: P13 }), new ConvBN(384, 256, K31, `${n}_3x1`, { padding: P31 })];
  const b4 = new Chain([
    new ConvBN(1536, 384, 1, `${n}_1x1_4`),
    new ConvBN(384, 448, K13, `${n}_1x3_2`, { padding: P13 }),
    new ConvBN(448, 512, K31, `${n}_3x1_2`, { padding: P31 }),
  ]);
  const b4heads = [new ConvBN(512, 256, K13, `${n}_1x3_3`, { padding: P13 }), new ConvBN(512, 256, K31, `${n}_3x1_3`, { padding: P31 })];
  return new InceptionBlock(poolConv, [
    { chain: b2, heads: [] },
    { chain: b3, heads: b3heads },
    { chain: b4, heads: b4heads },
  ]);
}

/** max pool 3 s2 ‖ conv branches (stride 2), concatenated with the pool first. */
class Reduction extends Module {
  private readonly pool = new MaxPool2d({ kernel: 3, stride: 2 });
  private readonly branches: Chain[];

  constructor(branches: Chain[]) {
    super();
    this.registerModule('pool', this.pool);
    branches.forEach((b, i) => this.registerModule(`b${i}`, b));
    this.branches = branches;
  }

  forward(x: Tensor): Tensor {
    return concat([this.pool.forward(x), ...this.branches.map((b) => b.forward(x))], 1);
  }
}

export class InceptionV4 extends Module {
  readonly classDim: number;
  private readonly blocks: Module[] = [];
  private readonly drop = new Dropout({ p: 0.2 });
  private readonly fc: Linear;

  constructor(opts: ModelOptions = {}) {
    super();
    this.classDim = opts.classDim ?? 1000;
    const push = (key: string, m: Module): void => {
      this.blocks.push(this.registerModule(key, m));
    };
    push('stem', new Stem());
    for (let i = 1; i <= 4; i++) push(`a${i}`, inceptionA(i));
    push(
      'reduction_a',
      new Reduction([
        new Chain([new ConvBN(384, 384, 3, 'reduction_a_3x3', { stride: 2 })]),
        new Chain([
          new ConvBN(384, 192, 1, 'reduction_a_3x3_2_reduce'),
          new ConvBN(192, 224, 3, 'reduction_a_3x3_2', { padding: 1 }),
          new ConvBN(224, 256, 3, 'reduction_a_3x3_3', { stride: 2 }),
        ]),
      ]),
    );
    for (let i = 1; i <= 7; i++) push(`b${i}`, inceptionB(i));
    push(
      'reduction_b',
      new Reduction([
        new Chain([new ConvBN(1024, 192, 1, 'reduction_b_3x3_reduce'), new ConvBN(192, 192, 3, 'reduction_b_3x3', { stride: 2 })]),
        new Chain([
          new ConvBN(1024, 256, 1, 'reduction_b_1x7_reduce'),
          new ConvBN(256, 256, K17, 'reduction_b_1x7', { padding: P17 }),
          new ConvBN(256, 320, K71, 'reduction_b_7x1', { padding: P71 }),
          new ConvBN(320, 320, 3, 'reduction_b_3x3_2', { stride: 2 }),
        ]),
      ]),
    );
    for (let i = 1; i <= 3; i++) push(`c${i}`, inceptionC(i));
    this.registerModule('drop', this.drop);
    const s = 1 / Math.sqrt(1536);
    this.fc = this.registerModule('final_fc', new Linear({ inFeatures: 1536, outFeatures: this.classDim, weightName: 'final_fc_weights', biasName: 'final_fc_offset', init: initializer(uniform(-s, s)) }));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const b of this.blocks) y = b.forward(y);
    return this.fc.forward(this.drop.forward(globalAvgPool2d(y)));
  }
}

registerModel({
  name: 'InceptionV4',
  family: 'inception_v4',
  config: { inputSize: [3, 299, 299], resizeShort: 320 },
  create: (o) => new InceptionV4(o),
});
