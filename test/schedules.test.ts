// Every lr_strategy against values worked out independently (closed form, by hand) at chosen
// steps, including the boundaries where the formula switches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSchedule, learningRate, stepsPerEpochFor, type LrStrategy, type ScheduleArgs } from '../src/optim/schedules.js';

function check(strategy: LrStrategy, step: number, args: ScheduleArgs, cases: [number, number][]): void {
  const f = createSchedule(strategy, step, args);
  for (const [g, want] of cases) {
    const got = f(g);
    assert.ok(Math.abs(got - want) <= 1e-12 + 1e-9 * Math.abs(want), `${strategy} g=${g}: ${got}, expected ${want}`);
    assert.equal(learningRate(strategy, g, step, args), got);
  }
}

test('steps per epoch is ceil(total_images / batch_size)', () => {
  assert.equal(stepsPerEpochFor(1281167, 256), 5005);
  assert.equal(stepsPerEpochFor(1000, 100), 10);
  assert.equal(stepsPerEpochFor(1001, 100), 11);
});

test('piecewise_decay: ×0.1 at each boundary (g == boundary already decayed)', () => {
  check('piecewise_decay', 100, { lr: 0.1, numEpochs: 120, stepEpochs: [30, 60, 90] }, [
    [0, 0.1], [2999, 0.1], [3000, 0.01], [5999, 0.01], [6000, 0.001], [8999, 0.001], [9000, 0.0001], [50000, 0.0001],
  ]);
});

test('cosine_decay: per-epoch staircase lr·0.5·(cos(epoch·π/N)+1)', () => {
  const half = Math.SQRT1_2;
  check('cosine_decay', 10, { lr: 0.1, numEpochs: 4 }, [
    [0, 0.1], [9, 0.1], [10, 0.05 * (1 + half)], [19, 0.05 * (1 + half)], [20, 0.05], [39, 0.05 * (1 - half)],
  ]);
  // cosine_decay_RMSProp uses the same schedule
  check('cosine_decay_RMSProp', 10, { lr: 0.1, numEpochs: 4 }, [[15, 0.05 * (1 + half)], [25, 0.05]]);
});

test('cosine_decay_warmup paddle2019: 5 hard-coded warm-up epochs, denominator num_epochs·step', () => {
  const a: ScheduleArgs = { lr: 0.5, numEpochs: 240, warmUpEpochs: 2, lrCompat: 'paddle2019' };
  check('cosine_decay_warmup', 10, a, [
    [0, 0], [25, 0.25], [49, 0.49], // warm-up ignores warm_up_epochs=2: still 5 epochs
    [50, 0.5],
    [1250, 0.25 * (Math.cos(Math.PI * 1200 / 2400) + 1)], // = 0.25
    [2400, 0.25 * (1 - Math.cos(Math.PI * 5 / 240))],
  ]);
  // The documented end value for ShuffleNetV2 (lr 0.5, 240 epochs): ≈ 0.000535, not 0.
  const end = createSchedule('cosine_decay_warmup', 1000, a)(240 * 1000);
  assert.ok(Math.abs(end - 0.000535) < 1e-6, `end lr ${end}`);
});

test('cosine_decay_warmup fixed: warm_up_epochs and (num_epochs − warm) so it ends at 0', () => {
  const a: ScheduleArgs = { lr: 0.5, numEpochs: 10, warmUpEpochs: 2 };
  check('cosine_decay_warmup', 10, a, [
    [0, 0], [10, 0.25], [19, 0.475], [20, 0.5], [40, 0.25 * (1 + Math.SQRT1_2)], [60, 0.25], [100, 0], [150, 0],
  ]);
  // default warm-up is 5 epochs, as 2019
  check('cosine_decay_warmup', 10, { lr: 0.5, numEpochs: 10 }, [[25, 0.25], [50, 0.5], [75, 0.25], [100, 0]]);
});

test('linear_decay: paddle2019 reaches 0 after ONE epoch; fixed decays over all epochs', () => {
  check('linear_decay', 10, { lr: 0.1, numEpochs: 5, lrCompat: 'paddle2019' }, [[0, 0.1], [5, 0.05], [9, 0.01], [10, 0], [30, 0]]);
  check('linear_decay', 10, { lr: 0.1, numEpochs: 5 }, [[0, 0.1], [5, 0.09], [10, 0.08], [25, 0.05], [50, 0], [60, 0]]);
});

test('exponential_decay_warmup: linear warm-up then decay_rate^floor((g − warm·step)/(step·decay_epochs))', () => {
  check('exponential_decay_warmup', 10, { lr: 0.1, numEpochs: 100, warmUpEpochs: 2, decayEpochs: 2.4, decayRate: 0.97 }, [
    [0, 0], [10, 0.05], [19, 0.095], [20, 0.1], [43, 0.1], [44, 0.097], [67, 0.097], [68, 0.1 * 0.97 * 0.97], [20 + 240, 0.1 * 0.97 ** 10],
  ]);
  // fractional warm-up, paddle2019: epochs 0..2 warm up (epoch < 2.5, overshooting lr), epoch 3 decays from g − 25
  check('exponential_decay_warmup', 10, { lr: 0.1, numEpochs: 100, warmUpEpochs: 2.5, decayEpochs: 1, decayRate: 0.5, lrCompat: 'paddle2019' }, [
    [29, 0.1 * 29 / 25], [30, 0.1], [34, 0.1], [35, 0.05],
  ]);
  // fixed: the warm-up ends at step 25, where the ramp reaches lr
  check('exponential_decay_warmup', 10, { lr: 0.1, numEpochs: 100, warmUpEpochs: 2.5, decayEpochs: 1, decayRate: 0.5 }, [
    [24, 0.1 * 24 / 25], [25, 0.1], [34, 0.1], [35, 0.05],
  ]);
});

test('cosine_decay_warmup fixed: a fractional warm-up never exceeds lr', () => {
  const a: ScheduleArgs = { lr: 0.1, numEpochs: 3, warmUpEpochs: 0.25 };
  check('cosine_decay_warmup', 100, a, [[0, 0], [24, 0.1 * 24 / 25], [25, 0.1], [300, 0]]);
  const f = createSchedule('cosine_decay_warmup', 100, a);
  for (let g = 0; g < 300; g++) assert.ok(f(g) <= 0.1 + 1e-12, `lr ${f(g)} > 0.1 at step ${g}`);
});

test('adam_decay, default_decay and constant: the base rate', () => {
  for (const s of ['adam_decay', 'default_decay', 'constant'] as const) check(s, 10, { lr: 0.003, numEpochs: 3 }, [[0, 0.003], [1000, 0.003]]);
});

test('bad arguments are rejected', () => {
  assert.throws(() => createSchedule('nope' as LrStrategy, 10, { lr: 0.1, numEpochs: 1 }), /unknown lr_strategy/);
  assert.throws(() => createSchedule('cosine_decay', 0, { lr: 0.1, numEpochs: 1 }), /steps per epoch/);
  assert.throws(() => createSchedule('cosine_decay', 10, { lr: 0.1, numEpochs: 0 }), /num_epochs/);
});
