// Fluid's Momentum optimizer: v = mu·v + g; p -= lr·v (Nesterov: p -= lr·(g + mu·v)), with
// L2Decay added to the gradient first (g += c·p). Momentum 0 is plain SGD.
import type { Backend } from '../backend/backend.js';
import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type NamedParams, type OptimizerOptions } from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  /** default 0.9 (momentum_rate) */
  momentum?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(params: NamedParams, opts: SGDOptions) {
    super(params, opts, ['velocity']);
    this.momentum = opts.momentum ?? 0.9;
    this.nesterov = opts.nesterov ?? false;
  }

  protected update(be: Backend, name: string, p: Parameter, grad: Float32Array, lr: number, weightDecay: number): void {
    be.sgdMomentum(p.values, grad, this.slot(name, 'velocity'), lr, this.momentum, weightDecay, this.nesterov);
  }
}

/** Paddle's name for the same optimizer. */
export { SGD as Momentum };
