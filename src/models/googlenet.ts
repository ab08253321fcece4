// GoogLeNet (Inception v1) as Paddle's models/googlenet.py (PADDLE_REFERENCE §6.2).
//
// Paddle's version has no BN, no conv biases and NO activation on any conv: the only ReLUs follow each
// inception concat. Max pools are 3×3 s2 floor-mode (112→55→27→13→6 at 224), and the head's avg pool
// (7, stride 7) on the 6×6 map gives a 1×1 output by Paddle's truncating size rule, averaging the 36
// valid cells. Dropout 0.4 (downgrade_in_infer: ×0.6 at inference) precedes the `out` fc.
// Two auxiliary heads read ince4a and ince4d: avg pool 5 s3 (13→3) → 1×1 conv 128 (no act) → fc 1152→1024
// + ReLU → dropout 0.7 → fc.
//
// API. forward(x) returns the MAIN head's logits [N, classDim] (what eval/infer need). forwardHeads(x)
// returns all three: { logits, aux: [aux1, aux2] }, in either mode. Paddle's net applies softmax to all
// three heads and its training program takes cross-entropy of each, with
// loss = CE(main) + 0.3·CE(aux1) + 0.3·CE(aux2) (AUX_LOSS_WEIGHTS); here the heads return logits and the
// training program applies softmax cross-entropy itself. isMultiHeadClassifier() lets a program find out.
//
// Init, as Paddle: convs built by conv_layer get Uniform(±√(3/(k²·C_in))); the 3×3_proj convs use Fluid's
// default Normal(0, √(2/C_in)); the fcs get Uniform(±√(3/1024)) (out, out1, out2) and Uniform(±√(3/2048))
// (fc_o1/fc_o2: Paddle's constant, although their fan-in is 1152); biases 0.
import { AvgPool2d, Conv2d, Dropout, Linear, MaxPool2d, Module, convDefault, uniform } from '../nn/index.js';
import type { Initializer } from '../nn/index.js';
import { concat, relu } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';
import { registerModel, type ModelOptions } from './registry.js';

/** All heads' logits: the main classifier and the auxiliary ones, in Paddle's order (out1, out2). */
export interface ClassifierHeads {
  logits: Tensor;
  aux: Tensor[];
}

/** A classifier with auxiliary training heads (GoogLeNet). */
export interface MultiHeadClassifier {
  forward(x: Tensor): Tensor;
  forwardHeads(x: Tensor): ClassifierHeads;
  /** weight of each auxiliary head's cross-entropy in the total loss */
  readonly auxLossWeights: readonly number[];
}

export function isMultiHeadClassifier(m: unknown): m is MultiHeadClassifier {
  return typeof m === 'object' && m !== null && typeof (m as { forwardHeads?: unknown }).forwardHeads === 'function';
}

/** Paddle's loss weights for out1 and out2 (build_model.py::_googlenet_model). */
export const AUX_LOSS_WEIGHTS: readonly number[] = [0.3, 0.3];

/** Paddle's conv_layer: bias-free, activation-free conv, padding (k−1)/2, Uniform(±√(3/(k²·C_in))). */
function convLayer(cin: number, cout: number, k: number, stride: number, name: string): Conv2d {
  const s = Math.sqrt(3 / (k * k * cin));
  return new Conv2d({ inChannels: cin, outChannels: cout, kernel: k, stride, padding: (k - 1) >> 1, weightName: `${name}_weights`, init: initializer(uniform(-s, s)) });
}

/** Paddle's `xavier(channels, filter_size, name)` helper for the fcs: Uniform(±√(3/(k²·channels))). */
function fcInit(channels: number): Initializer {
  const s = Math.sqrt(3 / channels);
  return initializer(uniform(-s, s));
}

class Inception extends Module {
  readonly outChannels: number;
  private readonly b1: Conv2d;
  private readonly b3r: Conv2d;
  private readonly b3: Conv2d;
  private readonly b5r: Conv2d;
  private readonly b5: Conv2d;
  private readonly pool = new MaxPool2d({ kernel: 3, stride: 1, padding: 1 });
  private readonly proj: Conv2d;

  constructor(cin: number, f1: number, f3r: number, f3: number, f5r: number, f5: number, proj: number, name: string) {
    super();
    const n = `inception_${name}`;
    this.b1 = this.registerModule('1x1', convLayer(cin, f1, 1, 1, `${n}_1x1`));
    this.b3r = this.registerModule('3x3_reduce', convLayer(cin, f3r, 1, 1, `${n}_3x3_reduce`));
    this.b3 = this.registerModule('3x3', convLayer(f3r, f3, 3, 1, `${n}_3x3`));
    this.b5r = this.registerModule('5x5_reduce', convLayer(cin, f5r, 1, 1, `${n}_5x5_reduce`));
    this.b5 = this.registerModule('5x5', convLayer(f5r, f5, 5, 1, `${n}_5x5`));
    this.registerModule('pool', this.pool);
    // Built by fluid.layers.conv2d directly, so it keeps Fluid's default initialiser.
    this.proj = this.registerModule('3x3_proj', new Conv2d({ inChannels: cin, outChannels: proj, kernel: 1, weightName: `${n}_3x3_proj_weights`, init: initializer(convDefault(1, 1, cin)) }));
    this.outChannels = f1 + f3 + f5 + proj;
  }

  forward(x: Tensor): Tensor {
    const cat = concat(
      [this.b1.forward(x), this.b3.forward(this.b3r.forward(x)), this.b5.forward(this.b5r.forward(x)), this.proj.forward(this.pool.forward(x))],
      1,
    );
    return relu(cat);
  }
}

/** Auxiliary head: avg pool 5 s3 → conv 1×1 128 → fc 1024 + ReLU → dropout 0.7 → fc classDim. */
class AuxHead extends Module {
  private readonly pool = new AvgPool2d({ kernel: 5, stride: 3 });
  private readonly conv: Conv2d;
  private readonly fc: Linear;
  private readonly drop = new Dropout({ p: 0.7 });
  private readonly out: Linear;

  constructor(cin: number, classDim: number, idx: 1 | 2) {
    super();
    this.registerModule('pool', this.pool);
    this.conv = this.registerModule('conv', convLayer(cin, 128, 1, 1, `conv_o${idx}`));
    this.fc = this.registerModule('fc', new Linear({ inFeatures: 128 * 3 * 3, outFeatures: 1024, weightName: `fc_o${idx}_weights`, biasName: `fc_o${idx}_offset`, init: fcInit(2048) }));
    this.registerModule('drop', this.drop);
    this.out = this.registerModule('out', new Linear({ inFeatures: 1024, outFeatures: classDim, weightName: `out${idx}_weights`, biasName: `out${idx}_offset`, init: fcInit(1024) }));
  }

  forward(x: Tensor): Tensor {
    const y = relu(this.fc.forward(this.conv.forward(this.pool.forward(x))));
    return this.out.forward(this.drop.forward(y));
  }
}

export class GoogLeNet extends Module implements MultiHeadClassifier {
  readonly classDim: number;
  readonly auxLossWeights = AUX_LOSS_WEIGHTS;
  private readonly conv1: Conv2d;
  private readonly conv2a: Conv2d;
  private readonly conv2b: Conv2d;
  private readonly pool = new MaxPool2d({ kernel: 3, stride: 2 });
  private readonly ince: Record<string, Inception> = {};
  private readonly headPool = new AvgPool2d({ kernel: 7, stride: 7 });
  private readonly drop = new Dropout({ p: 0.4 });
  private readonly out: Linear;
  private readonly aux1: AuxHead;
  private readonly aux2: AuxHead;

  constructor(opts: ModelOptions = {}) {
    super();
    this.classDim = opts.classDim ?? 1000;
    this.conv1 = this.registerModule('conv1', convLayer(3, 64, 7, 2, 'conv1'));
    this.conv2a = this.registerModule('conv2_1x1', convLayer(64, 64, 1, 1, 'conv2_1x1'));
    this.conv2b = this.registerModule('conv2_3x3', convLayer(64, 192, 3, 1, 'conv2_3x3'));
    this.registerModule('pool', this.pool);
    const spec: ReadonlyArray<readonly [string, number, number, number, number, number, number]> = [
      ['ince3a', 64, 96, 128, 16, 32, 32],
      ['ince3b', 128, 128, 192, 32, 96, 64],
      ['ince4a', 192, 96, 208, 16, 48, 64],
      ['ince4b', 160, 112, 224, 24, 64, 64],
      ['ince4c', 128, 128, 256, 24, 64, 64],
      ['ince4d', 112, 144, 288, 32, 64, 64],
      ['ince4e', 256, 160, 320, 32, 128, 128],
      ['ince5a', 256, 160, 320, 32, 128, 128],
      ['ince5b', 384, 192, 384, 48, 128, 128],
    ];
    let c = 192;
    for (const [name, ...f] of spec) {
      const m = this.registerModule(name, new Inception(c, ...f, name));
      this.ince[name] = m;
      c = m.outChannels;
    }
    this.registerModule('headPool', this.headPool);
    this.registerModule('drop', this.drop);
    this.out = this.registerModule('out', new Linear({ inFeatures: 1024, outFeatures: this.classDim, weightName: 'out_weights', biasName: 'out_offset', init: fcInit(1024) }));
    // Created after the main head, as in Paddle (their tensors follow out_* in the state dict).
    this.aux1 = this.registerModule('aux1', new AuxHead(512, this.classDim, 1));
    this.aux2 = this.registerModule('aux2', new AuxHead(528, this.classDim, 2));
  }

  private block(name: string, x: Tensor): Tensor {
    return this.ince[name]!.forward(x);
  }

  /** Runs the trunk; returns the main logits and, when wanted, the auxiliary heads' logits. */
  private run(x: Tensor, withAux: boolean): ClassifierHeads {
    let y = this.pool.forward(this.conv1.forward(x));
    y = this.pool.forward(this.conv2b.forward(this.conv2a.forward(y)));
    y = this.pool.forward(this.block('ince3b', this.block('ince3a', y)));
    const i4a = this.block('ince4a', y);
    const i4d = this.block('ince4d', this.block('ince4c', this.block('ince4b', i4a)));
    y = this.pool.forward(this.block('ince4e', i4d));
    y = this.block('ince5b', this.block('ince5a', y));
    const logits = this.out.forward(this.drop.forward(this.headPool.forward(y)));
    const aux = withAux ? [this.aux1.forward(i4a), this.aux2.forward(i4d)] : [];
    return { logits, aux };
  }

  /** Main head logits [N, classDim]. */
  forward(x: Tensor): Tensor {
    return this.run(x, false).logits;
  }

  /** Main and auxiliary logits (Paddle's out, out1, out2 before their softmax). */
  forwardHeads(x: Tensor): ClassifierHeads {
    return this.run(x, true);
  }
}

registerModel({ name: 'GoogLeNet', family: 'googlenet', create: (o) => new GoogLeNet(o) });
