// SqueezeNet 1.0 and 1.1 as Paddle's models/squeezenet.py (PADDLE_REFERENCE §6.2). Differences from
// torchvision that change the numbers: the max pools use floor mode (torchvision: ceil), and the final
// 1×1 classifier conv has a ReLU, so the logits are never negative. Dropout is Paddle's
// downgrade_in_infer (×0.5 before conv10 at inference). Every conv has a bias and Fluid's default
// initialisation (Normal(0, √(2/(k·k·C_in))) weights, zero biases).
import { Conv2d, Dropout, MaxPool2d, Module, convDefault, convActForward } from '../nn/index.js';
import { concat, flatten, globalAvgPool2d, relu } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initializer } from './init_mode.js';
import { registerModel, type ModelOptions } from './registry.js';

export type SqueezeNetVersion = '1.0' | '1.1';

function reluConv(cin: number, cout: number, k: number, name: string, stride = 1, padding = 0): Conv2d {
  return new Conv2d({ inChannels: cin, outChannels: cout, kernel: k, stride, padding, weightName: `${name}_weights`, biasName: `${name}_offset`, init: initializer(convDefault(k, k, cin)) });
}

/** Fire module: squeeze 1×1 (ReLU) → concat[expand 1×1 (ReLU), expand 3×3 p1 (ReLU)] on channels. */
class Fire extends Module {
  readonly outChannels: number;
  private readonly squeeze: Conv2d;
  private readonly expand1: Conv2d;
  private readonly expand3: Conv2d;

  constructor(cin: number, s: number, e1: number, e3: number, name: string) {
    super();
    this.squeeze = this.registerModule('squeeze', reluConv(cin, s, 1, `${name}_squeeze1x1`));
    this.expand1 = this.registerModule('expand1x1', reluConv(s, e1, 1, `${name}_expand1x1`));
    this.expand3 = this.registerModule('expand3x3', reluConv(s, e3, 3, `${name}_expand3x3`, 1, 1));
    this.outChannels = e1 + e3;
  }

  forward(x: Tensor): Tensor {
    const sq = convRelu(this.squeeze, x);
    const e1 = convRelu(this.expand1, sq);
    const e3 = convRelu(this.expand3, sq);
    if (!sq.requiresGrad) sq.free(); // off the tape: nothing else holds it
    const y = concat([e1, e3], 1);
    if (!y.requiresGrad) {
      e1.free();
      e3.free();
    }
    return y;
  }
}

/** relu(conv(x)): conv, bias and relu in one pass at inference; the conv output is pooled at once when no tape holds it. */
function convRelu(conv: Conv2d, x: Tensor): Tensor {
  return convActForward(conv, 'relu', x);
}

const POOL = 'pool';
type Stage = Fire | typeof POOL;

export class SqueezeNet extends Module {
  readonly classDim: number;
  readonly version: SqueezeNetVersion;
  private readonly conv1: Conv2d;
  private readonly pool = new MaxPool2d({ kernel: 3, stride: 2 });
  private readonly stages: Stage[] = [];
  private readonly drop = new Dropout({ p: 0.5 });
  private readonly conv10: Conv2d;

  constructor(version: SqueezeNetVersion, opts: ModelOptions = {}) {
    super();
    this.version = version;
    this.classDim = opts.classDim ?? 1000;
    this.conv1 =
      version === '1.0'
        ? this.registerModule('conv1', reluConv(3, 96, 7, 'conv1', 2, 0))
        : this.registerModule('conv1', reluConv(3, 64, 3, 'conv1', 2, 1));
    this.registerModule('pool', this.pool);
    const widths: Record<number, [number, number, number]> = {
      2: [16, 64, 64],
      3: [16, 64, 64],
      4: [32, 128, 128],
      5: [32, 128, 128],
      6: [48, 192, 192],
      7: [48, 192, 192],
      8: [64, 256, 256],
      9: [64, 256, 256],
    };
    // Where the max pools sit between the fire modules (the first one follows conv1 in both versions).
    const layout: (number | typeof POOL)[] =
      version === '1.0' ? [POOL, 2, 3, 4, POOL, 5, 6, 7, 8, POOL, 9] : [POOL, 2, 3, POOL, 4, 5, POOL, 6, 7, 8, 9];
    let c = this.conv1.outChannels;
    for (const item of layout) {
      if (item === POOL) {
        this.stages.push(POOL);
        continue;
      }
      const [s, e1, e3] = widths[item]!;
      const fire = this.registerModule(`fire${item}`, new Fire(c, s, e1, e3, `fire${item}`));
      this.stages.push(fire);
      c = fire.outChannels;
    }
    this.registerModule('drop', this.drop);
    this.conv10 = this.registerModule('conv10', reluConv(c, this.classDim, 1, 'conv10'));
  }

  forward(x: Tensor): Tensor {
    let y = convRelu(this.conv1, x);
    for (const st of this.stages) y = st === POOL ? this.pool.forward(y) : st.forward(y);
    y = convRelu(this.conv10, this.drop.forward(y));
    return flatten(globalAvgPool2d(y), 1);
  }
}

registerModel({ name: 'SqueezeNet1_0', family: 'squeezenet', create: (o) => new SqueezeNet('1.0', o) });
registerModel({ name: 'SqueezeNet1_1', family: 'squeezenet', create: (o) => new SqueezeNet('1.1', o) });
