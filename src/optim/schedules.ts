// Paddle's learning-rate strategies (utils/optimizer.py, PADDLE_REFERENCE §3) as pure functions
// of (globalStep, stepsPerEpoch, args). globalStep is Paddle's @LR_DECAY_COUNTER@: 0 on the first
// iteration, +1 per iteration; stepsPerEpoch = ceil(total_images / batch_size); epoch =
// floor(globalStep / stepsPerEpoch).
//
// Two of the 2019 strategies have bugs (PADDLE_REFERENCE §9 items 1-2), fixed upstream later:
//  * linear_decay used polynomial_decay with decay_steps = ONE epoch, so the LR is 0 from the end of
//    epoch 0 onwards and the rest of the run trains nothing;
//  * cosine_decay_warmup hard-codes 5 warm-up epochs (ignoring --warm_up_epochs) and divides the
//    cosine phase by num_epochs·step instead of (num_epochs − warmup)·step, so the cosine stops
//    5π/240 short of π and the LR never reaches 0 (ShuffleNetV2 with lr 0.5 ends at ≈0.000535).
// lrCompat selects the formulas: 'fixed' (default) decays linear_decay over all num_epochs and uses
// warm_up_epochs and (num_epochs − warm_up_epochs) in cosine_decay_warmup, as upstream's fix
// (PaddlePaddle/models 86ce1af7c); 'paddle2019' reproduces the 2019 numbers exactly, for comparing
// against a 2019 training log. 'fixed' is the default because the buggy linear_decay silently turns a
// training run into one epoch of training, which nobody asking for linear decay wants.

export const LR_STRATEGY_NAMES = [
  'piecewise_decay', 'cosine_decay', 'cosine_decay_warmup', 'linear_decay', 'exponential_decay_warmup',
  'adam_decay', 'cosine_decay_RMSProp', 'default_decay', 'constant',
] as const;

export type LrStrategy = (typeof LR_STRATEGY_NAMES)[number];
export type LrCompat = 'paddle2019' | 'fixed';

export interface ScheduleArgs {
  /** base learning rate (--lr) */
  readonly lr: number;
  /** --num_epochs */
  readonly numEpochs: number;
  /** piecewise_decay boundaries in epochs (--step_epochs) */
  readonly stepEpochs?: readonly number[];
  /** --warm_up_epochs (default 5) */
  readonly warmUpEpochs?: number;
  /** exponential_decay_warmup period in epochs (--decay_epochs, default 2.4) */
  readonly decayEpochs?: number;
  /** exponential_decay_warmup factor (--decay_rate, default 0.97) */
  readonly decayRate?: number;
  /** default 'fixed' */
  readonly lrCompat?: LrCompat;
}

/** Paddle's `step`: ceil(total_images / batch_size) with the global batch. */
export function stepsPerEpochFor(totalImages: number, batchSize: number): number {
  if (!(totalImages > 0) || !(batchSize > 0)) throw new RangeError(`steps per epoch needs total_images > 0 and batch_size > 0 (got ${totalImages}, ${batchSize})`);
  return Math.ceil(totalImages / batchSize);
}

function epochOf(g: number, step: number): number {
  return Math.floor(g / step);
}

/** lr·0.1^k, k = number of boundaries step·e ≤ g. */
export function piecewiseDecay(g: number, step: number, a: ScheduleArgs): number {
  const bounds = (a.stepEpochs ?? [30, 60, 90]).map((e) => step * e);
  let k = 0;
  for (const b of bounds) if (g >= b) k++;
  return a.lr * Math.pow(0.1, k);
}

/** fluid.layers.cosine_decay: lr·0.5·(cos(epoch·π/num_epochs) + 1), constant within an epoch. */
export function cosineDecay(g: number, step: number, a: ScheduleArgs): number {
  const epoch = epochOf(g, step);
  return a.lr * 0.5 * (Math.cos((epoch * Math.PI) / a.numEpochs) + 1);
}

/**
 * Paddle 2019 tests the integer epoch (`epoch < warm_up_epochs`), so a fractional warm-up
 * (0.25 epochs) keeps climbing linearly past lr until the epoch ends (to 4x lr). The fixed form
 * ends the warm-up at step warm·step exactly, where the ramp reaches lr.
 */
function inWarmUp(g: number, step: number, warm: number, compat: LrCompat): boolean {
  return compat === 'paddle2019' ? epochOf(g, step) < warm : g < warm * step;
}

/** Linear warm-up from 0 over the warm-up epochs, then a per-step cosine (see the file comment for the two forms). */
export function cosineDecayWarmup(g: number, step: number, a: ScheduleArgs): number {
  const compat = a.lrCompat ?? 'fixed';
  const warm = compat === 'paddle2019' ? 5 : (a.warmUpEpochs ?? 5);
  if (inWarmUp(g, step, warm, compat)) return (a.lr * g) / (step * warm);
  if (compat === 'paddle2019') {
    return (a.lr * (Math.cos(((g - warm * step) * Math.PI) / (a.numEpochs * step)) + 1)) / 2;
  }
  const span = (a.numEpochs - warm) * step;
  if (!(span > 0)) return 0;
  // Clamped so that steps past num_epochs stay at 0 instead of climbing back up the cosine.
  const progress = Math.min((g - warm * step) / span, 1);
  return (a.lr * (Math.cos(progress * Math.PI) + 1)) / 2;
}

/**
 * polynomial_decay(lr, decay_steps, end_lr=0, power=1): lr·(1 − min(g, D)/D).
 * paddle2019: D = one epoch (LR 0 from then on); fixed: D = num_epochs epochs.
 */
export function linearDecay(g: number, step: number, a: ScheduleArgs): number {
  const decaySteps = (a.lrCompat ?? 'fixed') === 'paddle2019' ? step : step * a.numEpochs;
  return a.lr * (1 - Math.min(g, decaySteps) / decaySteps);
}

/** Linear warm-up, then lr·decay_rate^floor((g − warm·step)/(step·decay_epochs)). */
export function exponentialDecayWarmup(g: number, step: number, a: ScheduleArgs): number {
  const warm = a.warmUpEpochs ?? 5;
  const decayEpochs = a.decayEpochs ?? 2.4;
  const decayRate = a.decayRate ?? 0.97;
  if (inWarmUp(g, step, warm, a.lrCompat ?? 'fixed')) return (a.lr * g) / (step * warm);
  return a.lr * Math.pow(decayRate, Math.floor((g - warm * step) / (step * decayEpochs)));
}

/** adam_decay, default_decay and constant: the base rate throughout. */
export function constantLr(_g: number, _step: number, a: ScheduleArgs): number {
  return a.lr;
}

/** The LR of a named strategy at global step g. */
export function learningRate(strategy: LrStrategy, g: number, stepsPerEpoch: number, a: ScheduleArgs): number {
  switch (strategy) {
    case 'piecewise_decay': return piecewiseDecay(g, stepsPerEpoch, a);
    case 'cosine_decay': return cosineDecay(g, stepsPerEpoch, a);
    case 'cosine_decay_RMSProp': return cosineDecay(g, stepsPerEpoch, a);
    case 'cosine_decay_warmup': return cosineDecayWarmup(g, stepsPerEpoch, a);
    case 'linear_decay': return linearDecay(g, stepsPerEpoch, a);
    case 'exponential_decay_warmup': return exponentialDecayWarmup(g, stepsPerEpoch, a);
    case 'adam_decay':
    case 'default_decay':
    case 'constant':
      return constantLr(g, stepsPerEpoch, a);
  }
}

export function isLrStrategy(s: string): s is LrStrategy {
  return (LR_STRATEGY_NAMES as readonly string[]).includes(s);
}

/** A schedule function of the global step, with the arguments checked once. */
export function createSchedule(strategy: LrStrategy, stepsPerEpoch: number, a: ScheduleArgs): (globalStep: number) => number {
  if (!isLrStrategy(strategy)) throw new RangeError(`unknown lr_strategy "${String(strategy)}"`);
  if (!(Number.isInteger(stepsPerEpoch) && stepsPerEpoch > 0)) throw new RangeError(`steps per epoch must be a positive integer, got ${stepsPerEpoch}`);
  if (!(a.lr >= 0)) throw new RangeError(`lr must be >= 0, got ${a.lr}`);
  if (!(a.numEpochs > 0)) throw new RangeError(`num_epochs must be > 0, got ${a.numEpochs}`);
  return (g: number) => learningRate(strategy, g, stepsPerEpoch, a);
}
