// createOptimizer: lr_strategy → (schedule, optimizer) exactly as Paddle's utils/optimizer.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchNorm2d } from '../src/nn/batchnorm.js';
import { Sequential } from '../src/nn/container.js';
import { Conv2d } from '../src/nn/conv.js';
import { Linear } from '../src/nn/linear.js';
import { Adam } from '../src/optim/adam.js';
import { createOptimizer, type OptimizerArgs } from '../src/optim/factory.js';
import { RMSProp } from '../src/optim/rmsprop.js';
import { SGD } from '../src/optim/sgd.js';
import { excludeBnAndBias } from '../src/optim/weight_decay.js';

function net(): Sequential {
  return new Sequential(
    new Conv2d({ inChannels: 3, outChannels: 4, kernel: 3, weightName: 'conv1_weights' }),
    new BatchNorm2d({ channels: 4, names: { scale: 'bn_conv1_scale', offset: 'bn_conv1_offset', mean: 'bn_conv1_mean', variance: 'bn_conv1_variance' } }),
    new Linear({ inFeatures: 4, outFeatures: 2, weightName: 'fc_0.w_0', biasName: 'fc_0.b_0' }),
  );
}

const base: OptimizerArgs = {
  lr: 0.1, lr_strategy: 'piecewise_decay', num_epochs: 120, total_images: 1281167, batch_size: 256,
  l2_decay: 1e-4, momentum_rate: 0.9, step_epochs: [30, 60, 90],
};

test('Momentum + L2 strategies', () => {
  for (const s of ['piecewise_decay', 'cosine_decay', 'cosine_decay_warmup', 'linear_decay', 'default_decay']) {
    const c = createOptimizer(net(), { ...base, lr_strategy: s });
    assert.ok(c.optimizer instanceof SGD, s);
    assert.equal((c.optimizer as SGD).momentum, 0.9);
    assert.equal((c.optimizer as SGD).nesterov, false);
    assert.deepEqual(c.optimizer.groups.map((g) => g.weightDecay), [1e-4]);
    assert.equal(c.stepsPerEpoch, 5005);
    assert.equal(c.kind, 'momentum');
  }
  const pw = createOptimizer(net(), base);
  assert.equal(pw.optimizer.currentLr(), 0.1);
  pw.optimizer.stepCount = 30 * 5005;
  assert.ok(Math.abs(pw.optimizer.currentLr() - 0.01) < 1e-15);
});

test('exponential_decay_warmup → RMSProp(rho 0.9, eps 0.001, momentum_rate) + L2', () => {
  const c = createOptimizer(net(), { ...base, lr_strategy: 'exponential_decay_warmup', momentum_rate: 0.8 });
  const o = c.optimizer as RMSProp;
  assert.ok(o instanceof RMSProp);
  assert.deepEqual([o.rho, o.eps, o.momentum], [0.9, 0.001, 0.8]);
  assert.deepEqual(o.groups.map((g) => g.weightDecay), [1e-4]);
});

test('cosine_decay_RMSProp → RMSProp(eps 1, rho 0.95) + L2; adam_decay → Adam without L2', () => {
  const r = createOptimizer(net(), { ...base, lr_strategy: 'cosine_decay_RMSProp' }).optimizer as RMSProp;
  assert.ok(r instanceof RMSProp);
  assert.deepEqual([r.rho, r.eps, r.momentum], [0.95, 1, 0.9]);
  assert.deepEqual(r.groups.map((g) => g.weightDecay), [1e-4]);
  const a = createOptimizer(net(), { ...base, lr_strategy: 'adam_decay', lr: 0.001 }).optimizer as Adam;
  assert.ok(a instanceof Adam);
  assert.deepEqual([a.beta1, a.beta2, a.eps], [0.9, 0.999, 1e-8]);
  assert.deepEqual(a.groups.map((g) => g.weightDecay), [0]);
  assert.equal(a.currentLr(), 0.001);
});

test('lr_compat reaches the schedule; l2_exclude_bn_bias exempts BN scale/offset and biases', () => {
  const fixed = createOptimizer(net(), { ...base, lr_strategy: 'linear_decay', total_images: 100, batch_size: 10, num_epochs: 5 });
  const old = createOptimizer(net(), { ...base, lr_strategy: 'linear_decay', total_images: 100, batch_size: 10, num_epochs: 5, lr_compat: 'paddle2019' });
  assert.ok(Math.abs(fixed.schedule(10) - 0.08) < 1e-12);
  assert.equal(old.schedule(10), 0);
  const m = net();
  const c = createOptimizer(m, { ...base, l2_exclude_bn_bias: true });
  assert.deepEqual(c.optimizer.groups.map((g) => [g.weightDecay, g.params.map(([n]) => n)]), [
    [1e-4, ['conv1_weights', 'fc_0.w_0']],
    [0, ['bn_conv1_scale', 'bn_conv1_offset', 'fc_0.b_0']],
  ]);
  const pred = excludeBnAndBias(m);
  assert.equal(pred('x', m.parameters()[0]!), false);
  assert.throws(() => createOptimizer(m, { ...base, lr_strategy: 'sgd' }), /unknown lr_strategy/);
});
