// Fluid's RMSProp (centered=False): ms = rho·ms + (1-rho)·g²; mom = mu·mom + lr·g/sqrt(ms + eps);
// p -= mom. Note eps sits INSIDE the square root, unlike PyTorch's RMSprop. Fluid defaults
// rho 0.95, eps 1e-6, momentum 0. L2Decay is added to the gradient.
import type { Backend } from '../backend/backend.js';
import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type NamedParams, type OptimizerOptions } from './optimizer.js';

export interface RMSPropOptions extends OptimizerOptions {
  rho?: number;
  eps?: number;
  momentum?: number;
}

export class RMSProp extends Optimizer {
  readonly rho: number;
  readonly eps: number;
  readonly momentum: number;

  constructor(params: NamedParams, opts: RMSPropOptions) {
    super(params, opts, ['mean_square', 'moment']);
    this.rho = opts.rho ?? 0.95;
    this.eps = opts.eps ?? 1e-6;
    this.momentum = opts.momentum ?? 0;
  }

  protected update(be: Backend, name: string, p: Parameter, grad: Float32Array, lr: number, weightDecay: number): void {
    be.rmsprop(p.values, grad, this.slot(name, 'mean_square'), this.slot(name, 'moment'), lr, this.rho, this.eps, this.momentum, weightDecay);
  }
}
