// VGG11/13/16/19 as Paddle's models/vgg.py (PADDLE_REFERENCE §6.2): blocks of 3×3 pad-1 convs WITHOUT
// bias (and without BN), each followed by ReLU, a 2×2 stride-2 max pool after every block, then
// fc6 → ReLU → dropout → fc7 → ReLU → dropout → fc8. Paddle applies each dropout AFTER the ReLU (the
// reverse of AlexNet). The fc head is fixed at 512·7·7 = 25088 inputs, so the input is 224×224.
// Init: Fluid defaults (conv Normal(0, √(2/(9·C_in))), fc Xavier uniform, zero biases).
import { Conv2d, Dropout, Linear, MaxPool2d, Module, convDefault, xavier, convActForward } from '../nn/index.js';
import { relu } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';
import { registerModel, type ModelOptions } from './registry.js';

/** Convs per block, for the five blocks of 64, 128, 256, 512, 512 channels. */
export const VGG_SPEC: Readonly<Record<11 | 13 | 16 | 19, readonly number[]>> = {
  11: [1, 1, 2, 2, 2],
  13: [2, 2, 2, 2, 2],
  16: [2, 2, 3, 3, 3],
  19: [2, 2, 4, 4, 4],
};
const WIDTHS = [64, 128, 256, 512, 512];

/** relu(conv(x)): conv, bias and relu in one pass at inference; the conv output is pooled at once when no tape holds it. */
function convRelu(conv: Conv2d, x: Tensor): Tensor {
  return convActForward(conv, 'relu', x);
}

export class VGG extends Module {
  readonly classDim: number;
  readonly depth: 11 | 13 | 16 | 19;
  private readonly blocks: Conv2d[][] = [];
  private readonly pool = new MaxPool2d({ kernel: 2, stride: 2 });
  private readonly fc6: Linear;
  private readonly fc7: Linear;
  private readonly fc8: Linear;
  private readonly drop6 = new Dropout({ p: 0.5 });
  private readonly drop7 = new Dropout({ p: 0.5 });

  constructor(depth: 11 | 13 | 16 | 19, opts: ModelOptions = {}) {
    super();
    this.depth = depth;
    this.classDim = opts.classDim ?? 1000;
    let c = 3;
    VGG_SPEC[depth].forEach((n, b) => {
      const width = WIDTHS[b]!;
      const block: Conv2d[] = [];
      for (let i = 0; i < n; i++) {
        const name = `conv${b + 1}_${i + 1}`;
        block.push(this.registerModule(name, new Conv2d({ inChannels: c, outChannels: width, kernel: 3, padding: 1, weightName: `${name}_weights`, init: initializer(convDefault(3, 3, c)) })));
        c = width;
      }
      this.blocks.push(block);
    });
    this.registerModule('pool', this.pool);
    const fc = (name: string, inF: number, outF: number): Linear =>
      this.registerModule(name, new Linear({ inFeatures: inF, outFeatures: outF, weightName: `${name}_weights`, biasName: `${name}_offset`, init: initializer(xavier()) }));
    this.fc6 = fc('fc6', 512 * 7 * 7, 4096);
    this.fc7 = fc('fc7', 4096, 4096);
    this.fc8 = fc('fc8', 4096, this.classDim);
    this.registerModule('drop6', this.drop6);
    this.registerModule('drop7', this.drop7);
  }

  forward(x: Tensor): Tensor {
    let y = x;
    // VGG's activations are large (12.8 MB per image for the first maps): hand each one back to the pool
    // as soon as the next exists, unless the caller owns it (x) or a tape holds it.
    const step = (prev: Tensor, next: Tensor): Tensor => {
      if (prev !== x && !prev.requiresGrad) prev.free();
      return next;
    };
    for (const block of this.blocks) {
      for (const conv of block) y = step(y, convRelu(conv, y));
      y = step(y, this.pool.forward(y));
    }
    y = this.drop6.forward(relu(this.fc6.forward(y)));
    y = this.drop7.forward(relu(this.fc7.forward(y)));
    return this.fc8.forward(y);
  }
}

for (const depth of [11, 13, 16, 19] as const) {
  registerModel({ name: `VGG${depth}`, family: 'vgg', create: (o) => new VGG(depth, o) });
}
