// Optimizer updates against hand-computed float64 trajectories, on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../src/backend/backend.js';
import { setBackend } from '../src/backend/index.js';
import { Parameter } from '../src/nn/parameter.js';
import { Adam, AdamW } from '../src/optim/adam.js';
import { RMSProp } from '../src/optim/rmsprop.js';
import { SGD } from '../src/optim/sgd.js';
import { tensor } from '../src/tensor/tensor.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { UserError } from '../src/util/errors.js';
import { backendsUnderTest } from './helpers/backends.js';

function onEachBackend(name: string, fn: (be: Backend) => void): void {
  for (const be of backendsUnderTest()) {
    test(`${name} [${be.name}]`, () => {
      const prev = setBackend(be);
      try {
        fn(be);
      } finally {
        setBackend(prev);
      }
    });
  }
}

function param(values: number[]): Parameter {
  return new Parameter(Float32Array.from(values), [values.length]);
}

function setGrad(p: Parameter, g: number[]): void {
  p.zeroGrad();
  p.grad = tensor(g, p.shape);
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 2e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    assert.ok(Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)), `element ${i}: ${actual[i]} vs ${e}`);
  }
}

onEachBackend('momentum with L2: three steps by hand', () => {
  // p=1, lr=0.1, mu=0.9, l2=0.1; grads 0.5, 0.5, -1:
  // g'=0.6 v=0.6 p=0.94; g'=0.594 v=1.134 p=0.8266; g'=-0.91734 v=0.10326 p=0.816274
  const p = param([1]);
  const opt = new SGD([['w', p]], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
  const expected = [0.94, 0.8266, 0.816274];
  [0.5, 0.5, -1].forEach((g, i) => {
    setGrad(p, [g]);
    opt.step();
    close(p.values, [expected[i]!]);
  });
  close(opt.stateDict().get('w@velocity')!.values, [0.10326]);
  assert.equal(opt.stepCount, 3);
  assert.equal(opt.lastLr, 0.1);
});

onEachBackend('momentum: float64 oracle over 20 steps of a vector, and Nesterov by hand', () => {
  const p0 = [0.3, -1.2, 2.5, 0, -0.05];
  const p = param(p0);
  const lr = (t: number): number => 0.05 / (1 + t);
  const opt = new SGD([['w', p]], { lr, momentum: 0.8, weightDecay: 1e-3 });
  const ref = [...p0];
  const v = ref.map(() => 0);
  for (let t = 0; t < 20; t++) {
    const g = ref.map((_, i) => Math.sin(0.7 * t + i) * 0.5);
    setGrad(p, g);
    opt.step();
    for (let i = 0; i < ref.length; i++) {
      const gi = g[i]! + 1e-3 * ref[i]!;
      v[i] = 0.8 * v[i]! + gi;
      ref[i] = ref[i]! - lr(t) * v[i]!;
    }
  }
  close(p.values, ref, 1e-5);

  // Nesterov, p=1, g=0.5, l2=0.1, lr=0.1, mu=0.9: g'=0.6, v=0.6, p = 1 - 0.1·(0.6 + 0.9·0.6) = 0.886
  const q = param([1]);
  const nes = new SGD([['q', q]], { lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true });
  setGrad(q, [0.5]);
  nes.step();
  close(q.values, [0.886]);
});

onEachBackend('RMSProp (eps inside the sqrt, momentum) by hand', () => {
  // rho 0.9, eps 1e-6, mu 0.5, lr 0.01, l2 0.2; p=1, grads 0.5 then -0.25
  const p = param([1]);
  const opt = new RMSProp([['w', p]], { lr: 0.01, rho: 0.9, eps: 1e-6, momentum: 0.5, weightDecay: 0.2 });
  setGrad(p, [0.5]);
  opt.step();
  const g1 = 0.5 + 0.2 * 1; // 0.7
  const ms1 = 0.1 * g1 * g1; // 0.049
  const mom1 = (0.01 * g1) / Math.sqrt(ms1 + 1e-6);
  const p1 = 1 - mom1;
  close(p.values, [p1]);
  setGrad(p, [-0.25]);
  opt.step();
  const g2 = -0.25 + 0.2 * p1;
  const ms2 = 0.9 * ms1 + 0.1 * g2 * g2;
  const mom2 = 0.5 * mom1 + (0.01 * g2) / Math.sqrt(ms2 + 1e-6);
  close(p.values, [p1 - mom2]);
  close(opt.stateDict().get('w@mean_square')!.values, [ms2]);
});

onEachBackend('Adam: a constant gradient moves every step by lr·g/(|g|+eps) (bias correction)', () => {
  const p = param([1, -2, 3]);
  const g = [0.5, -0.001, 4];
  const opt = new Adam([['w', p]], { lr: 0.01 });
  for (let t = 1; t <= 5; t++) {
    setGrad(p, g);
    opt.step();
    close(p.values, [1, -2, 3].map((p0, i) => p0 - (t * 0.01 * g[i]!) / (Math.abs(g[i]!) + 1e-8)), 1e-5);
  }
});

onEachBackend('Adam with L2 and AdamW with decoupled decay: float64 oracle', () => {
  for (const decoupled of [false, true]) {
    const p0 = [0.5, -1, 2];
    const p = param(p0);
    const Ctor = decoupled ? AdamW : Adam;
    const opt = new Ctor([['w', p]], { lr: 0.02, beta1: 0.8, beta2: 0.9, eps: 1e-6, weightDecay: 0.1 });
    const ref = [...p0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    for (let t = 1; t <= 6; t++) {
      const g = ref.map((_, i) => Math.cos(t + 2 * i));
      setGrad(p, g);
      opt.step();
      for (let i = 0; i < 3; i++) {
        const gi = g[i]! + (decoupled ? 0 : 0.1 * ref[i]!);
        m[i] = 0.8 * m[i]! + 0.2 * gi;
        v[i] = 0.9 * v[i]! + 0.1 * gi * gi;
        const mh = m[i]! / (1 - 0.8 ** t);
        const vh = v[i]! / (1 - 0.9 ** t);
        ref[i] = ref[i]! - (decoupled ? 0.02 * 0.1 * ref[i]! : 0) - (0.02 * mh) / (Math.sqrt(vh) + 1e-6);
      }
    }
    close(p.values, ref, 1e-5);
  }
});

onEachBackend('excludeFromWeightDecay puts parameters in a no-decay group', () => {
  const w = param([1, 1]);
  const bias = param([1, 1]);
  const opt = new SGD([['fc_weights', w], ['fc_offset', bias]], {
    lr: 0.5, momentum: 0, weightDecay: 0.1, excludeFromWeightDecay: (name) => name.endsWith('_offset'),
  });
  assert.deepEqual(opt.groups.map((g) => [g.weightDecay, g.params.map(([n]) => n)]), [[0.1, ['fc_weights']], [0, ['fc_offset']]]);
  setGrad(w, [0, 0]);
  setGrad(bias, [0, 0]);
  opt.step();
  close(w.values, [0.95, 0.95]); // 1 - 0.5·0.1·1
  close(bias.values, [1, 1]);
});

onEachBackend('parameters without a gradient and frozen parameters are left alone', () => {
  const a = param([1]);
  const b = param([1]);
  const frozen = param([1]);
  frozen.trainable = false;
  const opt = new SGD([['a', a], ['b', b], ['f', frozen]], { lr: 1, momentum: 0, weightDecay: 0.5 });
  setGrad(a, [1]);
  opt.step();
  close(a.values, [-0.5]);
  close(b.values, [1]);
  assert.equal([...opt.stateDict().keys()].includes('f@velocity'), false);
});

onEachBackend('state dict round trip resumes the exact trajectory; strict load reports problems', () => {
  const make = (): [Parameter, Parameter, Adam] => {
    const w = param([0.1, 0.2]);
    const u = param([-1]);
    return [w, u, new Adam([['w', w], ['u', u]], { lr: (t) => 0.01 * (t + 1) })];
  };
  const [w1, u1, o1] = make();
  for (let t = 0; t < 3; t++) {
    setGrad(w1, [t + 1, -t]);
    setGrad(u1, [0.5]);
    o1.step();
  }
  const snap = new Map<string, Tensor>([...o1.stateDict()].map(([k, v]) => [k, v.clone()]));
  assert.deepEqual([...snap.keys()], ['w@moment1', 'w@moment2', 'u@moment1', 'u@moment2', '@step']);
  assert.equal(snap.get('@step')!.item(), 3);
  const [w2, u2, o2] = make();
  w2.assign(w1);
  u2.assign(u1);
  o2.loadStateDict(snap);
  assert.equal(o2.stepCount, 3);
  for (const [w, u, o] of [[w1, u1, o1], [w2, u2, o2]] as const) {
    setGrad(w, [0.3, 0.3]);
    setGrad(u, [-2]);
    o.step();
  }
  assert.deepEqual(w2.toArray(), w1.toArray());
  assert.deepEqual(u2.toArray(), u1.toArray());
  assert.equal(o2.lastLr, 0.04);

  const [, , o3] = make();
  const bad = new Map(snap);
  bad.delete('u@moment2');
  bad.set('w@moment1', tensor([1, 2, 3]));
  bad.set('zzz@velocity', tensor([1]));
  assert.throws(() => o3.loadStateDict(bad), (e: unknown) => e instanceof UserError && /missing 1: u@moment2/.test(e.message) && /unexpected 1: zzz@velocity/.test(e.message) && /mismatched 1: w@moment1/.test(e.message));
  assert.equal(o3.stepCount, 0);
  const r = o3.loadStateDict(bad, { strict: false });
  assert.deepEqual(r.missing, ['u@moment2']);
  assert.equal(o3.stepCount, 3);
});
