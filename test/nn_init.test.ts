// Initialisers (Fluid semantics) and the seedable generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeFans, constant, convDefault, fcUniform, msra, normal, uniform, xavier } from '../src/nn/init.js';
import { Parameter } from '../src/nn/parameter.js';
import { RandomGenerator, defaultGenerator, getRngState, manualSeed, randn, setRngState } from '../src/nn/random.js';

function stats(v: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    s += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) * (x - mean);
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

function filled(shape: number[], init: ReturnType<typeof msra>, seed = 1): Parameter {
  const p = Parameter.zeros(shape);
  init.init(p, new RandomGenerator(seed));
  return p;
}

test('computeFans follows Fluid: FC [in, out]; conv [out, in/g, kh, kw]', () => {
  assert.deepEqual(computeFans([512, 1000]), { fanIn: 512, fanOut: 1000 });
  assert.deepEqual(computeFans([64, 32, 3, 3]), { fanIn: 288, fanOut: 576 });
});

test('msra default is uniform ±sqrt(6/fan_in); normal variant has std sqrt(2/fan_in)', () => {
  const shape = [256, 64, 3, 3]; // fan_in 576, 147456 values
  const limit = Math.sqrt(6 / 576);
  const u = stats(filled(shape, msra()).values);
  assert.ok(u.max <= limit && u.min >= -limit);
  assert.ok(u.max > 0.99 * limit && u.min < -0.99 * limit);
  assert.ok(Math.abs(u.mean) < 0.002 * limit);
  assert.ok(Math.abs(u.std / Math.sqrt(2 / 576) - 1) < 0.01, `std ${u.std}`);
  const n = stats(filled(shape, msra({ uniform: false })).values);
  assert.ok(Math.abs(n.std / Math.sqrt(2 / 576) - 1) < 0.01, `std ${n.std}`);
  assert.ok(Math.abs(n.mean) < 0.005 * n.std);
});

test('xavier uniform ±sqrt(6/(fan_in+fan_out)) on an FC weight', () => {
  const u = stats(filled([300, 500], xavier()).values);
  const limit = Math.sqrt(6 / 800);
  assert.ok(u.max <= limit && u.min >= -limit && u.max > 0.99 * limit);
  assert.ok(Math.abs(u.std / (limit / Math.sqrt(3)) - 1) < 0.01);
  const n = stats(filled([300, 500], xavier({ uniform: false })).values);
  assert.ok(Math.abs(n.std / Math.sqrt(2 / 800) - 1) < 0.01);
});

test('conv default uses the TOTAL input channels, also for depthwise convs', () => {
  // depthwise 3x3 over 128 channels: weight [128, 1, 3, 3] but std = sqrt(2/(9*128))
  const init = convDefault(3, 3, 128);
  const big = stats(filled([128 * 200, 1, 3, 3], init).values);
  assert.ok(Math.abs(big.std / Math.sqrt(2 / (9 * 128)) - 1) < 0.01, `std ${big.std}`);
});

test('uniform, normal, constant, fcUniform', () => {
  const u = stats(filled([100000], uniform(2, 4)).values);
  assert.ok(u.min >= 2 && u.max < 4 && Math.abs(u.mean - 3) < 0.01);
  const n = stats(filled([100000], normal(1, 0.5)).values);
  assert.ok(Math.abs(n.mean - 1) < 0.01 && Math.abs(n.std - 0.5) < 0.01);
  assert.deepEqual(filled([4], constant(0.25)).toArray(), [0.25, 0.25, 0.25, 0.25]);
  const f = stats(filled([400, 250], fcUniform(400)).values);
  assert.ok(f.max <= 0.05 && f.min >= -0.05 && f.max > 0.0499);
});

test('manualSeed makes initialisation reproducible; different seeds differ', () => {
  manualSeed(42);
  const a = Parameter.zeros([1000]);
  msra().init(a);
  manualSeed(42);
  const b = Parameter.zeros([1000]);
  msra().init(b);
  assert.deepEqual(a.toArray(), b.toArray());
  manualSeed(43);
  const c = Parameter.zeros([1000]);
  msra().init(c);
  assert.notDeepEqual(a.toArray(), c.toArray());
});

test('generator state save/restore continues the exact stream (including a cached Gaussian)', () => {
  manualSeed(7);
  defaultGenerator.normal(); // leaves the pair's second value cached
  const saved = JSON.parse(JSON.stringify(getRngState())) as ReturnType<typeof getRngState>;
  assert.notEqual(saved.spare, null);
  const first = randn([50]).toArray();
  setRngState(saved);
  const again = randn([50]).toArray();
  assert.deepEqual(first, again);
  assert.throws(() => setRngState({ s: [0, 0, 0, 0], spare: null }), /all-zero/);
});

test('uniform draws are in [0, 1) with mean 1/2 and Gaussians have unit variance', () => {
  const g = new RandomGenerator(123);
  let s = 0;
  let mn = 1;
  let mx = 0;
  const n = 200000;
  for (let i = 0; i < n; i++) {
    const u = g.random();
    s += u;
    mn = Math.min(mn, u);
    mx = Math.max(mx, u);
  }
  assert.ok(mn >= 0 && mx < 1);
  assert.ok(Math.abs(s / n - 0.5) < 0.003);
  let q = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const z = g.normal();
    m += z;
    q += z * z;
  }
  assert.ok(Math.abs(m / n) < 0.01 && Math.abs(q / n - 1) < 0.015);
});
