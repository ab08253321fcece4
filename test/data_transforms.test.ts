import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paddleRandomCropBox, torchRandomResizedCropBox, resizeShortSize, centerCropBox, roundHalfEven } from '../src/data/crop.js';
import { resize, axisTable, parseInterpolation, interpolationFromPaddle } from '../src/data/resize.js';
import { rotate } from '../src/data/rotate.js';
import { flipHorizontal, cropImage, makeImage, toChannels, type Image } from '../src/data/image.js';
import { normalize, normalizeTables, normalizeInto, augment, trainTransform, evalTransform, DEFAULT_PREPROCESS } from '../src/data/transforms.js';
import { adjustBrightness, adjustSaturation, adjustHue, adjustContrast } from '../src/data/color_jitter.js';
import { Rng, type RandomSource } from '../src/data/rng.js';

/** Replays fixed uniform draws in [0, 1). */
class FixedDraws implements RandomSource {
  private k = 0;
  constructor(private readonly draws: number[]) {}
  next(): number {
    const v = this.draws[this.k++];
    if (v === undefined) throw new Error('ran out of draws');
    return v;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  randint(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }
}

function gradient(w: number, h: number, c: number): Image {
  const img = makeImage(w, h, c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) img.data[(y * w + x) * c + k] = (x * 7 + y * 13 + k * 50) % 256;
  return img;
}

test('Paddle random_crop geometry follows the formula for fixed draws', () => {
  const H = 375;
  const W = 500;
  const draws = [0.3, 0.6, 0.25, 0.75];
  const box = paddleRandomCropBox(H, W, new FixedDraws(draws));
  // The formula of reader.py by hand.
  const aspect = Math.sqrt(3 / 4 + (4 / 3 - 3 / 4) * 0.3);
  const w0 = aspect;
  const h0 = 1 / aspect;
  const bound = Math.min(H / W / (h0 * h0), W / H / (w0 * w0));
  const smax = Math.min(1, bound);
  const smin = Math.min(0.08, bound);
  const ts = Math.sqrt(H * W * (smin + (smax - smin) * 0.6));
  const w = Math.trunc(ts * w0);
  const h = Math.trunc(ts * h0);
  assert.equal(box.w, w);
  assert.equal(box.h, h);
  assert.equal(box.y, Math.floor(0.25 * (H - h + 1)));
  assert.equal(box.x, Math.floor(0.75 * (W - w + 1)));
  assert.ok(box.w > 100 && box.h > 100);
  // The bound keeps the largest crop inside even for extreme ratios.
  const big = paddleRandomCropBox(100, 400, new FixedDraws([0.999, 0.999, 0.999, 0.999]));
  assert.ok(big.x >= 0 && big.y >= 0 && big.x + big.w <= 400 && big.y + big.h <= 100, JSON.stringify(big));
  assert.ok(big.h >= 99);
});

test('torchvision RandomResizedCrop: log-uniform ratio, rounding, fallback', () => {
  const box = torchRandomResizedCropBox(200, 300, new FixedDraws([0.5, 0.5, 0.1, 0.9]));
  const area = 60000 * (0.08 + 0.92 * 0.5);
  const ratio = Math.exp(Math.log(3 / 4) + (Math.log(4 / 3) - Math.log(3 / 4)) * 0.5);
  assert.equal(box.w, Math.round(Math.sqrt(area * ratio)));
  assert.equal(box.h, Math.round(Math.sqrt(area / ratio)));
  assert.equal(box.y, Math.floor(0.1 * (200 - box.h + 1)));
  assert.equal(box.x, Math.floor(0.9 * (300 - box.w + 1)));
  // Never fits (scale 1, extreme ratio draw on a very wide image): ten attempts, then the clamped centre crop.
  const draws: number[] = [];
  for (let i = 0; i < 10; i++) draws.push(0.999, 0.999);
  const fb = torchRandomResizedCropBox(10, 100, new FixedDraws(draws), { scale: [0.99, 1], ratio: [3 / 4, 4 / 3] });
  assert.deepEqual(fb, { x: Math.trunc((100 - Math.round(10 * 4 / 3)) / 2), y: 0, w: Math.round(10 * 4 / 3), h: 10 });
});

test('resize_short uses Python round (half to even)', () => {
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(3.5), 4);
  assert.ok(roundHalfEven(-0.5) === 0);
  assert.deepEqual(resizeShortSize(375, 500, 256), { width: Math.round(500 * 256 / 375), height: 256 });
  // 5 * (3/2) = 7.5 -> 8 (even), 3 * (3/2) = 4.5 -> 4 (even): JS Math.round would give 5.
  assert.deepEqual(resizeShortSize(2, 5, 3), { width: 8, height: 3 });
  assert.deepEqual(resizeShortSize(6, 3, 3), { width: 3, height: 6 });
  assert.deepEqual(resizeShortSize(4, 9, 2), { width: 4, height: 2 }); // 4.5 -> 4
  assert.deepEqual(resizeShortSize(4, 11, 2), { width: 6, height: 2 }); // 5.5 -> 6
  assert.deepEqual(centerCropBox(7, 10, 4), { x: 3, y: 1, w: 4, h: 4 });
});

test('bilinear resize matches the half-pixel formula; nearest, area, identity', () => {
  const img = gradient(9, 7, 3);
  const out = resize(img, 5, 4, 'bilinear');
  const sample = (x: number, y: number, k: number): number => img.data[(y * 9 + x) * 3 + k]!;
  for (let oy = 0; oy < 4; oy++) {
    for (let ox = 0; ox < 5; ox++) {
      let fy = (oy + 0.5) * (7 / 4) - 0.5;
      let fx = (ox + 0.5) * (9 / 5) - 0.5;
      fy = Math.max(0, fy);
      fx = Math.max(0, fx);
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const ax = fx - x0;
      const ay = fy - y0;
      const x1 = Math.min(x0 + 1, 8);
      const y1 = Math.min(y0 + 1, 6);
      for (let k = 0; k < 3; k++) {
        const v = (1 - ay) * ((1 - ax) * sample(x0, y0, k) + ax * sample(x1, y0, k)) + ay * ((1 - ax) * sample(x0, y1, k) + ax * sample(x1, y1, k));
        assert.ok(Math.abs(out.data[(oy * 5 + ox) * 3 + k]! - v) <= 0.51, `(${ox},${oy},${k}) ${out.data[(oy * 5 + ox) * 3 + k]} vs ${v}`);
      }
    }
  }
  // Nearest: floor(o * scale).
  const nn = resize(img, 3, 2, 'nearest');
  assert.equal(nn.data[(1 * 3 + 2) * 3], sample(6, Math.floor(1 * 3.5), 0));
  // Area at an integer factor is the block mean.
  const a = makeImage(4, 2, 1, Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 71]));
  const ar = resize(a, 2, 1, 'area');
  assert.deepEqual([...ar.data], [Math.round((0 + 10 + 40 + 50) / 4), Math.round((20 + 30 + 60 + 71) / 4)]);
  // Same size: copy; region resize equals crop then resize.
  assert.deepEqual(resize(img, 9, 7, 'bicubic').data, img.data);
  const box = { x: 2, y: 1, w: 5, h: 4 };
  for (const interp of ['nearest', 'bilinear', 'bicubic', 'area', 'lanczos'] as const) {
    assert.deepEqual(resize(img, 3, 3, interp, box).data, resize(cropImage(img, box), 3, 3, interp).data, interp);
  }
  // Interpolation weights sum to 1.
  for (const interp of ['bilinear', 'bicubic', 'area', 'lanczos'] as const) {
    const t = axisTable(10, 4, interp);
    for (let o = 0; o < 4; o++) {
      let s = 0;
      for (let k = 0; k < t.taps; k++) s += t.weight[o * t.taps + k]!;
      assert.ok(Math.abs(s - 1) < 1e-5, `${interp} ${s}`);
    }
  }
  // A constant image stays constant under every kernel.
  const flat = makeImage(13, 11, 3, new Uint8Array(13 * 11 * 3).fill(77));
  for (const interp of ['nearest', 'bilinear', 'bicubic', 'area', 'lanczos'] as const) {
    for (const [w, h] of [[5, 4], [30, 20]] as const) assert.ok(resize(flat, w, h, interp).data.every((v) => v === 77), `${interp} ${w}x${h}`);
  }
});

test('interpolation names and Paddle flags', () => {
  assert.equal(interpolationFromPaddle(null), 'bilinear');
  assert.equal(interpolationFromPaddle(0), 'bilinear'); // `if interpolation:` treats 0 as None
  assert.equal(interpolationFromPaddle(2), 'bicubic');
  assert.equal(interpolationFromPaddle(4), 'lanczos');
  assert.equal(parseInterpolation('3'), 'area');
  assert.equal(parseInterpolation('LINEAR'), 'bilinear');
  assert.throws(() => interpolationFromPaddle(5), /0\.\.4/);
  assert.throws(() => parseInterpolation('fancy'), /unknown interpolation/);
});

test('normalisation: (v/255 - mean) / std in float32, CHW order, fused flip', () => {
  const img = makeImage(2, 1, 3, Uint8Array.from([255, 0, 128, 10, 20, 30]));
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const out = normalize(img, mean, std);
  const f = Math.fround;
  const expect = (v: number, c: number): number => f(f(f(v / 255) - f(mean[c]!)) / f(std[c]!));
  assert.deepEqual([...out], [expect(255, 0), expect(10, 0), expect(0, 1), expect(20, 1), expect(128, 2), expect(30, 2)]);
  assert.ok(Math.abs(out[0]! - (1 - 0.485) / 0.229) < 1e-6);
  const flipped = new Float32Array(6);
  normalizeInto(img, normalizeTables(mean, std), flipped, 0, true);
  assert.deepEqual([...flipped], [expect(10, 0), expect(255, 0), expect(20, 1), expect(0, 1), expect(30, 2), expect(128, 2)]);
});

test('flip, channel conversion, crop copy', () => {
  const img = gradient(4, 3, 3);
  const fl = flipHorizontal(img);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) for (let k = 0; k < 3; k++) assert.equal(fl.data[(y * 4 + x) * 3 + k], img.data[(y * 4 + 3 - x) * 3 + k]);
  const gray = makeImage(2, 1, 1, Uint8Array.from([5, 200]));
  assert.deepEqual([...toChannels(gray, 3).data], [5, 5, 5, 200, 200, 200]);
  assert.deepEqual([...toChannels(makeImage(1, 1, 3, Uint8Array.from([255, 0, 0])), 1).data], [76]);
  assert.deepEqual([...cropImage(img, { x: 1, y: 1, w: 2, h: 1 }).data], [...img.data.subarray((1 * 4 + 1) * 3, (1 * 4 + 3) * 3)]);
});

test('rotation: identity at 0, black corners, exact quarter turn of a square', () => {
  const img = makeImage(20, 16, 3, new Uint8Array(20 * 16 * 3).fill(200));
  assert.deepEqual(rotate(img, 0).data, img.data);
  const r = rotate(img, 10);
  for (const [x, y] of [[0, 0], [19, 0], [0, 15], [19, 15]]) assert.equal(r.data[(y! * 20 + x!) * 3], 0, `corner ${x},${y}`);
  assert.equal(r.data[(8 * 20 + 10) * 3], 200);
  // A 90-degree turn (counter-clockwise on screen) maps pixel (x, y) of an even square to (y, n-1-x)
  // after the half-pixel shift of the (n/2, n/2) centre: dst(x, y) = src(n - y, x)... checked numerically.
  const sq = gradient(8, 8, 1);
  const q = rotate(sq, 90);
  // cv2: M maps src (sx, sy) -> (sy, n - sx) with centre (4, 4): dst(x, y) = src(n - y, x) = src(8 - y, x).
  for (let y = 1; y < 8; y++) for (let x = 0; x < 8; x++) assert.equal(q.data[y * 8 + x], sq.data[x * 8 + (8 - y)], `${x},${y}`);
  // Row 0 samples src column 8, outside the image: black.
  assert.ok([...q.data.subarray(0, 8)].every((v) => v === 0));
});

test('colour jitter operations', () => {
  const img = makeImage(2, 1, 3, Uint8Array.from([100, 50, 25, 200, 100, 0]));
  assert.deepEqual(adjustBrightness(img, 1).data, img.data);
  assert.deepEqual([...adjustBrightness(img, 1.5).data], [150, 75, 38, 255, 150, 0]);
  assert.deepEqual(adjustSaturation(img, 1).data, img.data);
  const g = adjustSaturation(img, 0).data;
  assert.equal(g[0], g[1]);
  assert.equal(g[1], g[2]);
  assert.equal(g[0], Math.round(0.299 * 100 + 0.587 * 50 + 0.114 * 25));
  assert.deepEqual(adjustContrast(img, 1).data, img.data);
  const h = adjustHue(makeImage(1, 1, 3, Uint8Array.from([255, 0, 0])), 1 / 3).data;
  assert.deepEqual([...h], [0, 255, 0]);
});

test('train/eval pipelines: sizes, determinism per seed, eval is deterministic', () => {
  const img = gradient(50, 40, 3);
  const pre = { ...DEFAULT_PREPROCESS, resizeShort: 36, crop: 32 };
  const tr = trainTransform(pre);
  const a = augment(img, tr, new Rng(7, 1));
  const b = augment(img, tr, new Rng(7, 1));
  const c = augment(img, tr, new Rng(8, 1));
  assert.equal(a.image.width, 32);
  assert.equal(a.image.height, 32);
  assert.deepEqual(a.image.data, b.image.data);
  assert.notDeepEqual(a.image.data, c.image.data);
  const ev = evalTransform(pre);
  const e = augment(img, ev, new Rng(1));
  // resize_short 40x50 -> 36x45, centre crop 32 at (6, 2).
  const manual = resize(resize(img, 45, 36, 'bilinear'), 32, 32, 'bilinear', { x: 6, y: 2, w: 32, h: 32 });
  assert.deepEqual(e.image.data, manual.data);
  assert.equal(e.flip, false);
  assert.throws(() => trainTransform({ ...pre, mean: [0.5] }), /image_mean/);
  // Flip frequency is about one half.
  let flips = 0;
  for (let i = 0; i < 400; i++) if (augment(img, tr, new Rng(3, i)).flip) flips++;
  assert.ok(flips > 150 && flips < 250, String(flips));
});

test('Rng: deterministic, uniform range, beta mean, permutation', () => {
  const r1 = new Rng(42, 1, 2);
  const r2 = new Rng(42, 1, 2);
  for (let i = 0; i < 10; i++) assert.equal(r1.next(), r2.next());
  assert.notEqual(new Rng(42, 1, 3).next(), new Rng(42, 1, 2).next());
  const r = new Rng(5);
  let s = 0;
  for (let i = 0; i < 20000; i++) {
    const v = r.beta(0.2, 0.2);
    assert.ok(v >= 0 && v <= 1);
    s += v;
  }
  assert.ok(Math.abs(s / 20000 - 0.5) < 0.02);
  const p = r.permutation(100);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  for (let i = 0; i < 1000; i++) {
    const k = r.randint(-10, 11);
    assert.ok(Number.isInteger(k) && k >= -10 && k <= 10);
  }
});
