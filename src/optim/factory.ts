// create_optimizer(args) of Paddle's utils/optimizer.py: --lr_strategy picks both the schedule
// and the optimizer (PADDLE_REFERENCE §3 table). Argument names are train.py's flags.
import type { Parameter } from '../nn/parameter.js';
import { Adam } from './adam.js';
import { Module } from '../nn/module.js';
import type { NamedParams, Optimizer } from './optimizer.js';
import { excludeBnAndBias } from './weight_decay.js';
import { RMSProp } from './rmsprop.js';
import { createSchedule, isLrStrategy, stepsPerEpochFor, type LrCompat, type LrStrategy } from './schedules.js';
import { SGD } from './sgd.js';

export interface OptimizerArgs {
  lr: number;
  lr_strategy: string;
  num_epochs: number;
  /** images per epoch (the train list length when not given on the command line) */
  total_images: number;
  batch_size: number;
  l2_decay?: number;
  momentum_rate?: number;
  step_epochs?: readonly number[];
  warm_up_epochs?: number;
  decay_epochs?: number;
  decay_rate?: number;
  lr_compat?: LrCompat;
  /** exclude BN scale/offset and biases from L2 (needs a Module as params); Paddle: false */
  l2_exclude_bn_bias?: boolean;
}

export interface CreatedOptimizer {
  readonly optimizer: Optimizer;
  readonly schedule: (globalStep: number) => number;
  readonly stepsPerEpoch: number;
  readonly strategy: LrStrategy;
  /** 'momentum' | 'rmsprop' | 'adam', for logs */
  readonly kind: string;
}

export function createOptimizer(params: NamedParams, args: OptimizerArgs): CreatedOptimizer {
  const strategy = args.lr_strategy;
  if (!isLrStrategy(strategy)) throw new RangeError(`unknown lr_strategy "${strategy}"`);
  const stepsPerEpoch = stepsPerEpochFor(args.total_images, args.batch_size);
  const scheduleArgs = {
    lr: args.lr,
    numEpochs: args.num_epochs,
    lrCompat: args.lr_compat ?? 'fixed',
    ...(args.step_epochs !== undefined ? { stepEpochs: args.step_epochs } : {}),
    ...(args.warm_up_epochs !== undefined ? { warmUpEpochs: args.warm_up_epochs } : {}),
    ...(args.decay_epochs !== undefined ? { decayEpochs: args.decay_epochs } : {}),
    ...(args.decay_rate !== undefined ? { decayRate: args.decay_rate } : {}),
  };
  const schedule = createSchedule(strategy, stepsPerEpoch, scheduleArgs);
  const l2 = args.l2_decay ?? 1e-4;
  const momentum = args.momentum_rate ?? 0.9;
  let exclude: ((name: string, p: Parameter) => boolean) | undefined;
  if (args.l2_exclude_bn_bias === true) {
    if (!(params instanceof Module)) throw new Error('l2_exclude_bn_bias needs the model (a Module) to find BN parameters and biases');
    exclude = excludeBnAndBias(params);
  }
  const decay = { weightDecay: l2, ...(exclude !== undefined ? { excludeFromWeightDecay: exclude } : {}) };
  let optimizer: Optimizer;
  let kind: string;
  switch (strategy) {
    case 'exponential_decay_warmup':
      optimizer = new RMSProp(params, { lr: schedule, rho: 0.9, eps: 0.001, momentum, ...decay });
      kind = 'rmsprop';
      break;
    case 'cosine_decay_RMSProp':
      // "Apply epsilon=1 on ImageNet"; rho stays Fluid's default 0.95.
      optimizer = new RMSProp(params, { lr: schedule, eps: 1, momentum, ...decay });
      kind = 'rmsprop';
      break;
    case 'adam_decay':
      // fluid.optimizer.Adam(lr) with no regularization.
      optimizer = new Adam(params, { lr: schedule });
      kind = 'adam';
      break;
    default:
      optimizer = new SGD(params, { lr: schedule, momentum, ...decay });
      kind = 'momentum';
  }
  return { optimizer, schedule, stepsPerEpoch, strategy, kind };
}
