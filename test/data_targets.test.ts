import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smoothLabels, mixup, cutmix } from '../src/data/targets.js';
import { Rng } from '../src/data/rng.js';

test('label smoothing: (1 - eps) * onehot + eps / K', () => {
  const t = smoothLabels(Int32Array.from([2, 0]), 4, 0.1);
  assert.deepEqual(t.shape, [2, 4]);
  const f = Math.fround;
  assert.deepEqual([...t.values], [f(0.025), f(0.025), f(0.925), f(0.025), f(0.925), f(0.025), f(0.025), f(0.025)]);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(t.values.subarray(i * 4, i * 4 + 4).reduce((a, b) => a + b, 0) - 1) < 1e-6);
  assert.throws(() => smoothLabels(Int32Array.from([4]), 4, 0.1), /outside/);
});

test('mixup: one lambda per batch, partner by permutation, labels a/b', () => {
  const n = 6;
  const sz = 5;
  const images = new Float32Array(n * sz);
  for (let i = 0; i < n; i++) images.fill(i + 1, i * sz, (i + 1) * sz);
  const labels = Int32Array.from([10, 11, 12, 13, 14, 15]);
  const m = mixup(images, labels, 0.2, new Rng(3));
  assert.ok(m.lam >= 0 && m.lam <= 1);
  // Recover each partner from the mixed value: v = lam * (i + 1) + (1 - lam) * (p + 1).
  const partners = new Set<number>();
  for (let i = 0; i < n; i++) {
    const p = labels.indexOf(m.labelsB[i]!);
    partners.add(p);
    const expect = Math.fround(m.lam) * (i + 1) + Math.fround(1 - m.lam) * (p + 1);
    for (let k = 0; k < sz; k++) assert.ok(Math.abs(m.images[i * sz + k]! - expect) < 1e-5);
  }
  assert.equal(partners.size, n, 'partners form a permutation');
  // Same draws for the same generator state; alpha 0 means lam 1 (no mixing).
  assert.equal(mixup(images, labels, 0.2, new Rng(3)).lam, m.lam);
  const none = mixup(images, labels, 0, new Rng(3));
  assert.equal(none.lam, 1);
  assert.deepEqual(none.images, images);
});

test('cutmix: pasted box from the partner, lam = kept area fraction', () => {
  const n = 4;
  const [c, h, w] = [2, 8, 8];
  const sz = c * h * w;
  const images = new Float32Array(n * sz);
  for (let i = 0; i < n; i++) images.fill(i, i * sz, (i + 1) * sz);
  const labels = Int32Array.from([0, 1, 2, 3]);
  const m = cutmix(images, labels, [c, h, w], 1.0, new Rng(11));
  for (let i = 0; i < n; i++) {
    const p = m.labelsB[i]!;
    let fromPartner = 0;
    for (let k = 0; k < sz; k++) {
      const v = m.images[i * sz + k]!;
      assert.ok(v === i || v === p);
      if (v === p && p !== i) fromPartner++;
    }
    if (p !== i) assert.ok(Math.abs(fromPartner / sz - (1 - m.lam)) < 1e-9, `sample ${i}`);
  }
});
