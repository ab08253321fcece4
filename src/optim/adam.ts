// Adam with bias correction (Fluid defaults beta1 0.9, beta2 0.999, eps 1e-8):
// m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; p -= lr·m̂/(sqrt(v̂) + eps), m̂ = m/(1-b1^t), v̂ = v/(1-b2^t),
// t = 1 on the first update. Adam adds weight decay to the gradient (L2, as Paddle's regularizer);
// AdamW decouples it: p -= lr·wd·p (Loshchilov & Hutter).
import type { Backend } from '../backend/backend.js';
import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type NamedParams, type OptimizerOptions } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  protected readonly decoupled: boolean = false;

  constructor(params: NamedParams, opts: AdamOptions) {
    super(params, opts, ['moment1', 'moment2']);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
  }

  protected update(be: Backend, name: string, p: Parameter, grad: Float32Array, lr: number, weightDecay: number): void {
    const t = this.stepCount + 1;
    const l2 = this.decoupled ? 0 : weightDecay;
    const wd = this.decoupled ? weightDecay : 0;
    be.adam(p.values, grad, this.slot(name, 'moment1'), this.slot(name, 'moment2'), lr, this.beta1, this.beta2, this.eps, t, l2, wd);
  }
}

export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
}
