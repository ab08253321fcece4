// The addon's image kernels (native/image/) against the TypeScript loops they replace: same bytes
// and same float32 values, for every interpolation, channel count, crop box and scale direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resize, INTERPOLATIONS } from '../src/data/resize.js';
import { makeImage, type Image } from '../src/data/image.js';
import { augment, normalizeInto, normalizeTables, trainTransform, evalTransform, DEFAULT_PREPROCESS } from '../src/data/transforms.js';
import { nativeImageKernels, setNativeImageKernelsDisabled } from '../src/data/native_image.js';
import { Rng } from '../src/data/rng.js';
import { rotate } from '../src/data/rotate.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, colorJitter } from '../src/data/color_jitter.js';
import { expectNative } from './helpers/backends.js';

function noise(w: number, h: number, c: number, seed: number): Image {
  const img = makeImage(w, h, c);
  const r = new Rng(seed, 99);
  // Smooth areas plus noise and hard edges: rounding ties and clamping both happen.
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i % 97 < 40 ? 255 : i % 97 < 60 ? 0 : r.randint(0, 256));
  return img;
}

function withReference<T>(fn: () => T): T {
  setNativeImageKernelsDisabled(true);
  try {
    return fn();
  } finally {
    setNativeImageKernelsDisabled(false);
  }
}

test('native kernels are loaded unless the reference backend is forced', () => {
  assert.equal(nativeImageKernels() !== null, expectNative());
});

test('native resize equals the TypeScript resize byte for byte', { skip: nativeImageKernels() === null }, () => {
  const rng = new Rng(7, 1);
  let cases = 0;
  for (const c of [1, 3, 4]) {
    for (const interp of INTERPOLATIONS) {
      for (let k = 0; k < 6; k++) {
        const w = rng.randint(5, 140);
        const h = rng.randint(5, 140);
        const img = noise(w, h, c, cases);
        const bw = rng.randint(1, w + 1);
        const bh = rng.randint(1, h + 1);
        const box = { x: rng.randint(0, w - bw + 1), y: rng.randint(0, h - bh + 1), w: bw, h: bh };
        // Down-, up- and mixed scaling.
        const ow = [7, 28, 96, 224][k % 4]!;
        const oh = [224, 28, 13, 96][(k + c) % 4]!;
        const want = withReference(() => resize(img, ow, oh, interp, box));
        const got = resize(img, ow, oh, interp, box);
        assert.deepEqual(got, want, `${interp} c=${c} ${w}x${h} box ${JSON.stringify(box)} -> ${ow}x${oh}`);
        cases++;
      }
    }
  }
  assert.equal(cases, 90);
});

test('native normalisation (with and without flip) equals the TypeScript loop', { skip: nativeImageKernels() === null }, () => {
  for (const c of [1, 3]) {
    const img = noise(31, 17, c, c);
    const mean = c === 3 ? [0.485, 0.456, 0.406] : [0.286];
    const std = c === 3 ? [0.229, 0.224, 0.225] : [0.353];
    for (const flip of [false, true]) {
      const tables = normalizeTables(mean, std);
      const want = new Float32Array(5 + img.data.length).fill(-9);
      const got = new Float32Array(5 + img.data.length).fill(-9);
      withReference(() => normalizeInto(img, tables, want, 5, flip));
      normalizeInto(img, tables, got, 5, flip);
      assert.deepEqual(got, want, `c=${c} flip=${flip}`);
      assert.equal(got[0], -9);
    }
  }
});

test('whole train and eval pipelines agree between native and TypeScript', { skip: nativeImageKernels() === null }, () => {
  const img = noise(200, 150, 3, 5);
  const train = trainTransform(DEFAULT_PREPROCESS, { size: 64, rotate: true, colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 } });
  const evalCfg = evalTransform(DEFAULT_PREPROCESS, { size: 64, resizeShort: 80 });
  for (const cfg of [train, evalCfg]) {
    for (let s = 0; s < 4; s++) {
      const want = withReference(() => augment(img, cfg, new Rng(3, 2, s)));
      const got = augment(img, cfg, new Rng(3, 2, s));
      assert.deepEqual(got, want, `${cfg.mode} sample ${s}`);
    }
  }
});

test('native resize rejects a box outside the image with a RangeError, not a crash', { skip: nativeImageKernels() === null }, () => {
  const k = nativeImageKernels()!;
  const src = new Uint8Array(10 * 10 * 3);
  const idx = new Int32Array([0, 20]);
  const wt = new Float32Array([0.5, 0.5]);
  assert.throws(() => k.imageResize(src, 10, 10, 3, 0, 0, 10, 10, 1, 1, idx, wt, 2, idx, wt, 2, new Uint8Array(3)), RangeError);
  assert.throws(() => k.imageResize(src, 10, 10, 3, 5, 0, 10, 10, 1, 1, idx, wt, 2, idx, wt, 2, new Uint8Array(3)), RangeError);
});

test('native rotation equals the TypeScript rotation for integer and fractional angles', { skip: nativeImageKernels() === null }, () => {
  for (const c of [1, 3]) {
    const img = noise(53, 31, c, 40 + c);
    for (const angle of [-10, -7, -1, 0, 3, 10, 33.3, 90, -135]) {
      const want = withReference(() => rotate(img, angle));
      assert.deepEqual(rotate(img, angle), want, `c=${c} angle ${angle}`);
    }
  }
});

test('native colour-jitter operations equal the TypeScript ones', { skip: nativeImageKernels() === null }, () => {
  // Every 8-bit grey level, saturated primaries and ties between channels, plus noise.
  const img = noise(64, 40, 3, 77);
  for (let v = 0; v < 256; v++) img.data.set([v, v, v], 3 * v);
  img.data.set([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0, 0, 255, 255, 255, 0, 255, 10, 10, 200, 200, 10, 10], 3 * 256);
  const gray1 = noise(20, 20, 1, 78);
  const ops: Array<[string, (i: Image) => Image]> = [];
  for (const f of [0, 0.37, 0.6, 1, 1.4, 2]) {
    ops.push([`brightness ${f}`, (i) => adjustBrightness(i, f)], [`contrast ${f}`, (i) => adjustContrast(i, f)], [`saturation ${f}`, (i) => adjustSaturation(i, f)]);
  }
  for (const s of [-0.5, -0.1, -0.013, 0, 0.05, 0.25, 0.5]) ops.push([`hue ${s}`, (i) => adjustHue(i, s)]);
  for (const [name, op] of ops) {
    for (const im of [img, gray1]) {
      const want = withReference(() => op(im));
      assert.deepEqual(op(im), want, `${name} c=${im.channels}`);
    }
  }
  const spec = { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 };
  for (let s = 0; s < 8; s++) {
    const want = withReference(() => colorJitter(img, spec, new Rng(5, s)));
    assert.deepEqual(colorJitter(img, spec, new Rng(5, s)), want, `colorJitter draw ${s}`);
  }
});
