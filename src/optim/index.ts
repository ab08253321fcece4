// Optimizers, learning-rate schedules and the weight EMA.
export { Optimizer, STEP_KEY } from './optimizer.js';
export { excludeBnAndBias } from './weight_decay.js';
export type { LrSchedule, OptimizerOptions, ParamGroup, NamedParams, OptimizerLoadReport } from './optimizer.js';
export { SGD, Momentum } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { RMSProp } from './rmsprop.js';
export type { RMSPropOptions } from './rmsprop.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions } from './adam.js';
export {
  LR_STRATEGY_NAMES, stepsPerEpochFor, piecewiseDecay, cosineDecay, cosineDecayWarmup, linearDecay,
  exponentialDecayWarmup, constantLr, learningRate, createSchedule, isLrStrategy,
} from './schedules.js';
export type { LrStrategy, LrCompat, ScheduleArgs } from './schedules.js';
export { createOptimizer } from './factory.js';
export type { OptimizerArgs, CreatedOptimizer } from './factory.js';
export { ExponentialMovingAverage, EMA_DECAY_KEY, EMA_STEP_KEY } from './ema.js';
export type { EmaOptions } from './ema.js';
