// 2-D convolution with Paddle's weight layout [out, in/groups, kh, kw] and Paddle's names.
import { conv2d, type Conv2dOpOptions } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { constant, convDefault, type Initializer } from './init.js';
import { inferenceConvForward, inferenceEligible, packedConvAvailable } from './inference_conv.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { defaultGenerator } from './random.js';

export type Pair = number | readonly [number, number];
export type Padding = number | readonly [number, number] | readonly [number, number, number, number];

export interface Conv2dOptions {
  inChannels: number;
  outChannels: number;
  kernel: Pair;
  stride?: Pair;
  /** symmetric [h, w] or [top, bottom, left, right]; default 0 */
  padding?: Padding;
  dilation?: Pair;
  groups?: number;
  /** default false: the zoo's convs are bias-free (a BN follows) unless a biasName is given */
  bias?: boolean;
  weightName: string;
  biasName?: string;
  /** default: Fluid's conv2d default Normal(0, sqrt(2/(kh*kw*inChannels))) (total C_in) */
  init?: Initializer;
  /** default constant(0) */
  biasInit?: Initializer;
}

export function pair(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding;
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(o: Conv2dOptions) {
    super();
    const groups = o.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1 || o.inChannels % groups !== 0 || o.outChannels % groups !== 0) {
      throw new RangeError(`Conv2d ${o.weightName}: groups ${groups} must divide inChannels ${o.inChannels} and outChannels ${o.outChannels}`);
    }
    this.inChannels = o.inChannels;
    this.outChannels = o.outChannels;
    this.kernel = pair(o.kernel);
    this.stride = pair(o.stride ?? 1);
    this.padding = o.padding ?? 0;
    this.dilation = pair(o.dilation ?? 1);
    this.groups = groups;
    const [kh, kw] = this.kernel;
    this.weight = this.registerParameter(o.weightName, Parameter.zeros([o.outChannels, o.inChannels / groups, kh, kw]));
    (o.init ?? convDefault(kh, kw, o.inChannels)).init(this.weight, defaultGenerator);
    const wantBias = o.bias ?? o.biasName !== undefined;
    if (wantBias) {
      if (o.biasName === undefined) throw new Error(`Conv2d ${o.weightName}: bias: true needs a biasName`);
      this.bias = this.registerParameter(o.biasName, Parameter.zeros([o.outChannels]));
      (o.biasInit ?? constant(0)).init(this.bias, defaultGenerator);
    } else {
      this.bias = null;
    }
  }

  /** The conv2d op options of this layer. */
  convOptions(): Conv2dOpOptions {
    return {
      stride: this.stride,
      padding: this.padding as number | [number, number] | [number, number, number, number],
      dilation: this.dilation,
      groups: this.groups,
    };
  }

  forward(x: Tensor): Tensor {
    // At inference a backend with packed-weight convs gets this conv's weights packed once.
    if (packedConvAvailable() && inferenceEligible(this, null, x)) return inferenceConvForward(this, null, x, 'none');
    return conv2d(x, this.weight, this.bias, this.convOptions());
  }
}
