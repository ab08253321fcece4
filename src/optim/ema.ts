// Exponential moving average of the trainable parameters, as utils/utility.py's
// ExponentialMovingAverage (PADDLE_REFERENCE §4.6): shadows named "<param>_ema_0" start at 0;
// after every optimizer step, ema = ema·d + p·(1 − d) with the thresholded decay
// d = min(decay, (t+1)/(t+10)), t the global step of that iteration (0 on the first, the LR
// counter). The early small d is what keeps the zero initialisation from biasing the average;
// the optional zero_debias (off, as in Paddle) divides by (1 − d^(t+1)) when the average is read.
// BN running statistics are buffers, not parameters, so they are not averaged (do_model_average
// is False for them in Paddle too).
import { Module } from '../nn/module.js';
import type { NamedParams } from './optimizer.js';
import type { Parameter } from '../nn/parameter.js';
import { tensor, zeros, type Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';

export interface EmaOptions {
  /** --ema_decay, default 0.9999 */
  decay?: number;
  /** use the (t+1)/(t+10) threshold (Paddle passes thres_steps=global_step); default true */
  thresholdSteps?: boolean;
  /** default false, as Paddle */
  zeroDebias?: boolean;
}

export const EMA_DECAY_KEY = 'scheduled_ema_decay_rate';
export const EMA_STEP_KEY = '@EMA_STEP_COUNTER@';

export class ExponentialMovingAverage {
  readonly decay: number;
  readonly thresholdSteps: boolean;
  readonly zeroDebias: boolean;
  private readonly params: [string, Parameter][];
  private readonly shadows = new Map<string, Tensor>();
  /** The decay used by the latest update (Paddle's scheduled_ema_decay_rate). */
  scheduledDecay = 0;
  /** Number of updates done; also the default t of the next update. */
  updates = 0;
  private lastStep = -1;

  constructor(params: NamedParams, opts: EmaOptions = {}) {
    this.decay = opts.decay ?? 0.9999;
    if (!(this.decay >= 0 && this.decay <= 1)) throw new RangeError(`ema decay must be in [0, 1], got ${this.decay}`);
    this.thresholdSteps = opts.thresholdSteps ?? true;
    this.zeroDebias = opts.zeroDebias ?? false;
    const list: [string, Parameter][] = params instanceof Module ? params.namedParameters() : [...params].map(([n, p]) => [n, p]);
    this.params = list.filter(([, p]) => p.trainable);
    for (const [name, p] of this.params) this.shadows.set(`${name}_ema_0`, zeros(p.shape));
  }

  /** The decay for global step t. */
  decayAt(t: number): number {
    return this.thresholdSteps ? Math.min(this.decay, (t + 1) / (t + 10)) : this.decay;
  }

  /** Folds the current parameters in; globalStep defaults to the number of earlier updates. */
  update(globalStep: number = this.updates): void {
    const d = this.decayAt(globalStep);
    const d32 = Math.fround(d); // Paddle keeps the scheduled rate in a float32 variable
    for (const [name, p] of this.params) {
      const e = this.shadows.get(`${name}_ema_0`)!.values;
      const v = p.values;
      for (let i = 0; i < e.length; i++) e[i] = e[i]! * d32 + v[i]! * (1 - d32);
    }
    this.scheduledDecay = d32;
    this.lastStep = globalStep;
    this.updates++;
  }

  /** The averaged value of a parameter (debiased when zeroDebias), as a new tensor. */
  averaged(name: string): Tensor {
    const e = this.shadows.get(`${name}_ema_0`);
    if (e === undefined) throw new Error(`ema: no shadow for parameter ${name}`);
    const out = e.clone();
    if (this.zeroDebias && this.lastStep >= 0) {
      const k = 1 / (1 - Math.pow(this.scheduledDecay, this.lastStep + 1));
      const v = out.values;
      for (let i = 0; i < v.length; i++) v[i] = v[i]! * k;
    }
    return out;
  }

  /**
   * Runs fn with the averaged weights written into the parameters, then restores the raw ones
   * (even if fn throws): Paddle's `with ema.apply(exe):`.
   */
  apply<T>(fn: () => T): T {
    const saved = this.params.map(([, p]) => p.clone());
    try {
      this.copyToParams();
      return fn();
    } finally {
      this.params.forEach(([, p], i) => {
        p.assign(saved[i]!);
        saved[i]!.free();
      });
    }
  }

  /** apply() for asynchronous work (an evaluation loop that awaits its data loader). */
  async applyAsync<T>(fn: () => Promise<T>): Promise<T> {
    const saved = this.params.map(([, p]) => p.clone());
    try {
      this.copyToParams();
      return await fn();
    } finally {
      this.params.forEach(([, p], i) => {
        p.assign(saved[i]!);
        saved[i]!.free();
      });
    }
  }

  /** Overwrites the parameters with the averages (ema_clean: export EMA weights). */
  copyToParams(): void {
    for (const [name, p] of this.params) {
      const a = this.averaged(name);
      p.assign(a);
      a.free();
    }
  }

  /** "<param>_ema_0" shadows (live tensors) plus the scheduled decay and update count. */
  stateDict(): Map<string, Tensor> {
    const sd = new Map<string, Tensor>(this.shadows);
    sd.set(EMA_DECAY_KEY, tensor([this.scheduledDecay], [1]));
    sd.set(EMA_STEP_KEY, tensor([this.updates], [1]));
    return sd;
  }

  loadStateDict(map: ReadonlyMap<string, Tensor>): void {
    const problems: string[] = [];
    for (const [key, dst] of this.shadows) {
      const src = map.get(key);
      if (src === undefined) problems.push(`missing ${key}`);
      else if (src.dtype !== 'float32' || src.size !== dst.size) problems.push(`${key}: shape [${src.shape.join(', ')}], expected [${dst.shape.join(', ')}]`);
    }
    if (problems.length > 0) throw new UserError(`EMA state does not match the parameters: ${problems.slice(0, 10).join('; ')}`);
    for (const [key, dst] of this.shadows) dst.assign(map.get(key)!);
    const d = map.get(EMA_DECAY_KEY);
    if (d !== undefined && d.size === 1) this.scheduledDecay = d.values[0]!;
    const n = map.get(EMA_STEP_KEY);
    if (n !== undefined && n.size === 1) {
      this.updates = n.values[0]!;
      this.lastStep = this.updates - 1;
    }
  }
}
