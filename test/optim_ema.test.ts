// ExponentialMovingAverage: thresholded decay, zero init, apply/restore, state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Parameter } from '../src/nn/parameter.js';
import { ExponentialMovingAverage } from '../src/optim/ema.js';
import { tensor } from '../src/tensor/tensor.js';

function close(a: number, b: number, tol = 1e-6): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
}

test('decay threshold min(decay, (t+1)/(t+10)) and zero-initialised shadows', () => {
  const p = new Parameter(Float32Array.from([2, -4]), [2]);
  const ema = new ExponentialMovingAverage([['w', p]], { decay: 0.9 });
  assert.equal(ema.decayAt(0), 0.1);
  close(ema.decayAt(5), 6 / 15);
  assert.equal(ema.decayAt(1000), 0.9); // (1001/1010) > 0.9
  // Constant parameters: ema_t = p·(1 − Π d_i) with d_i = f32(min(0.9, (i+1)/(i+10))).
  let prod = 1;
  for (let t = 0; t < 200; t++) {
    ema.update(t);
    prod *= Math.fround(Math.min(0.9, (t + 1) / (t + 10)));
  }
  const avg = ema.averaged('w').toArray();
  close(avg[0]!, 2 * (1 - prod), 1e-5);
  close(avg[1]!, -4 * (1 - prod), 1e-5);
  assert.equal(ema.scheduledDecay, Math.fround(0.9));
  assert.deepEqual([...ema.stateDict().keys()], ['w_ema_0', 'scheduled_ema_decay_rate', '@EMA_STEP_COUNTER@']);
});

test('first two updates by hand', () => {
  const p = new Parameter(Float32Array.from([1]), [1]);
  const ema = new ExponentialMovingAverage([['w', p]], { decay: 0.9999 });
  ema.update(0); // d = 0.1: 0·0.1 + 1·0.9
  close(ema.averaged('w').item(), 0.9);
  p.assign(tensor([3]));
  ema.update(1); // d = 2/11: 0.9·2/11 + 3·9/11
  close(ema.averaged('w').item(), (0.9 * 2) / 11 + (3 * 9) / 11);
});

test('zeroDebias divides by 1 − d^(t+1)', () => {
  const p = new Parameter(Float32Array.from([5]), [1]);
  const ema = new ExponentialMovingAverage([['w', p]], { decay: 0.5, thresholdSteps: false, zeroDebias: true });
  ema.update(0);
  ema.update(1);
  // raw = 5·(1 − 0.25) = 3.75; debiased = 3.75 / (1 − 0.5²) = 5
  close(ema.averaged('w').item(), 5);
});

test('apply() swaps in the averages and restores the raw weights, even on throw', async () => {
  const p = new Parameter(Float32Array.from([1, 2]), [2]);
  const ema = new ExponentialMovingAverage([['w', p]], { decay: 0.5, thresholdSteps: false });
  ema.update();
  const seen = ema.apply(() => p.toArray());
  assert.deepEqual(seen, [0.5, 1]);
  assert.deepEqual(p.toArray(), [1, 2]);
  assert.throws(() => ema.apply(() => {
    throw new Error('boom');
  }), /boom/);
  assert.deepEqual(p.toArray(), [1, 2]);
  const seenAsync = await ema.applyAsync(async () => {
    await new Promise((r) => setTimeout(r, 1));
    return p.toArray();
  });
  assert.deepEqual(seenAsync, [0.5, 1]);
  assert.deepEqual(p.toArray(), [1, 2]);
  // state round trip
  const other = new ExponentialMovingAverage([['w', p]], { decay: 0.5, thresholdSteps: false });
  other.loadStateDict(ema.stateDict());
  assert.deepEqual(other.averaged('w').toArray(), [0.5, 1]);
  assert.equal(other.updates, 1);
  assert.throws(() => other.loadStateDict(new Map()), /missing w_ema_0/);
});
