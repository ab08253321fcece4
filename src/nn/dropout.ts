// Dropout with Fluid's default dropout_implementation="downgrade_in_infer": training multiplies
// by a Bernoulli(1-p) mask WITHOUT rescaling; inference multiplies by (1-p). Every zoo model uses
// it, and because a bias or ReLU follows each dropout the (1-p) factor changes the logits, so it
// is not optional. Masks draw from the seedable global generator (src/nn/random.ts).
import { dropout } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { defaultGenerator, type RandomGenerator } from './random.js';

export type DropoutMode = 'downgrade_in_infer' | 'upscale_in_train';

export class Dropout extends Module {
  readonly p: number;
  readonly mode: DropoutMode;
  private readonly draw: () => number;

  constructor(o: { p: number; mode?: DropoutMode; generator?: RandomGenerator }) {
    super();
    if (!(o.p >= 0 && o.p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${o.p}`);
    this.p = o.p;
    this.mode = o.mode ?? 'downgrade_in_infer';
    const g = o.generator ?? defaultGenerator;
    this.draw = () => g.random();
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, mode: this.mode, random: this.draw });
  }
}
