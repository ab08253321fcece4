// AlexNet as Paddle's models/alexnet.py (PADDLE_REFERENCE §6.2): five biased convs with ReLU, no LRN and
// no BN, three max pools (3, stride 2, floor), then dropout → fc6 → ReLU → dropout → fc7 → ReLU → fc8.
// The fully connected head is fixed at 256·6·6 = 9216 inputs, so the network takes 224×224 images only
// (as in Paddle).
//
// Initialisation is Paddle's explicit one: every conv/fc weight AND bias is Uniform(±1/√fan_in), with
// fan_in = C_in·k·k for convs and the flattened input size for the fcs.
import { Conv2d, Dropout, Linear, MaxPool2d, Module, uniform, convActForward } from '../nn/index.js';
import type { Initializer } from '../nn/index.js';
import { relu } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';
import { registerModel, type ModelOptions } from './registry.js';

function stdvUniform(fanIn: number): Initializer {
  const s = 1 / Math.sqrt(fanIn);
  return initializer(uniform(-s, s));
}

/** relu(conv(x)): conv, bias and relu in one pass at inference; the conv output is pooled at once when no tape holds it. */
function convRelu(conv: Conv2d, x: Tensor): Tensor {
  return convActForward(conv, 'relu', x);
}

export class AlexNet extends Module {
  readonly classDim: number;
  private readonly convs: Conv2d[] = [];
  private readonly pool = new MaxPool2d({ kernel: 3, stride: 2 });
  private readonly drop6 = new Dropout({ p: 0.5 });
  private readonly drop7 = new Dropout({ p: 0.5 });
  private readonly fc6: Linear;
  private readonly fc7: Linear;
  private readonly fc8: Linear;

  constructor(opts: ModelOptions = {}) {
    super();
    this.classDim = opts.classDim ?? 1000;
    // [in, out, kernel, stride, padding]
    const spec: [number, number, number, number, number][] = [
      [3, 64, 11, 4, 2],
      [64, 192, 5, 1, 2],
      [192, 384, 3, 1, 1],
      [384, 256, 3, 1, 1],
      [256, 256, 3, 1, 1],
    ];
    spec.forEach(([cin, cout, k, s, p], i) => {
      const init = stdvUniform(cin * k * k);
      const conv = new Conv2d({
        inChannels: cin,
        outChannels: cout,
        kernel: k,
        stride: s,
        padding: p,
        weightName: `conv${i + 1}_weights`,
        biasName: `conv${i + 1}_offset`,
        init,
        biasInit: init,
      });
      this.convs.push(this.registerModule(`conv${i + 1}`, conv));
    });
    this.registerModule('pool', this.pool);
    this.registerModule('drop6', this.drop6);
    this.registerModule('drop7', this.drop7);
    const fc = (name: string, inF: number, outF: number): Linear => {
      const init = stdvUniform(inF);
      return this.registerModule(name, new Linear({ inFeatures: inF, outFeatures: outF, weightName: `${name}_weights`, biasName: `${name}_offset`, init, biasInit: init }));
    };
    this.fc6 = fc('fc6', 256 * 6 * 6, 4096);
    this.fc7 = fc('fc7', 4096, 4096);
    this.fc8 = fc('fc8', 4096, this.classDim);
  }

  forward(x: Tensor): Tensor {
    let y = x;
    this.convs.forEach((conv, i) => {
      y = convRelu(conv, y);
      // pools after conv1, conv2 and conv5
      if (i === 0 || i === 1 || i === 4) y = this.pool.forward(y);
    });
    y = relu(this.fc6.forward(this.drop6.forward(y)));
    y = relu(this.fc7.forward(this.drop7.forward(y)));
    return this.fc8.forward(y);
  }
}

registerModel({
  name: 'AlexNet',
  family: 'alexnet',
  create: (o) => new AlexNet(o),
});
