// Fully connected layer in Paddle's layout: weight [in, out], y = x·W + b. Like fluid.layers.fc
// (num_flatten_dims=1) it flattens every dim after the batch first.
import { flatten, linear } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { constant, xavier, type Initializer } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { defaultGenerator } from './random.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  weightName: string;
  /** null or omitted: no bias */
  biasName?: string | null;
  /** default: Xavier uniform, fluid.layers.fc's default (the zoo usually passes fcUniform(in)) */
  init?: Initializer;
  /** default constant(0) */
  biasInit?: Initializer;
}

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(o: LinearOptions) {
    super();
    this.inFeatures = o.inFeatures;
    this.outFeatures = o.outFeatures;
    this.weight = this.registerParameter(o.weightName, Parameter.zeros([o.inFeatures, o.outFeatures]));
    (o.init ?? xavier()).init(this.weight, defaultGenerator);
    if (o.biasName !== undefined && o.biasName !== null) {
      this.bias = this.registerParameter(o.biasName, Parameter.zeros([o.outFeatures]));
      (o.biasInit ?? constant(0)).init(this.bias, defaultGenerator);
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    const x2 = x.ndim === 2 ? x : flatten(x, 1);
    if (x2.shape[1] !== this.inFeatures) {
      throw new RangeError(`Linear ${this.weight.name}: expected ${this.inFeatures} input features, got input [${x.shape.join(', ')}]`);
    }
    const y = linear(x2, this.weight, this.bias);
    // off the tape (nothing recorded keeps it for a backward) the flattened copy is dead: back to
    // the pool, not a fresh buffer every call
    if (x2 !== x && !y.requiresGrad) x2.free();
    return y;
  }
}
