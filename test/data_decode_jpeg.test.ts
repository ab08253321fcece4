// The addon's direct libjpeg-turbo decode against sharp (the decoder it stands in for): identical
// pixels for every chroma subsampling, progressive files, restart markers, sizes off the MCU grid
// and arbitrary regions; the cases it must leave to sharp return null.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage } from '../src/data/decode.js';
import { nativeImageKernels } from '../src/data/native_image.js';
import { Rng } from '../src/data/rng.js';

const native = nativeImageKernels();
const skip = native === null || native.decodeJpegRegion === undefined ? 'addon built without libjpeg' : false;

function picture(w: number, h: number, seed: number): Buffer {
  const r = new Rng(seed, 5);
  const px = Buffer.alloc(w * h * 3);
  // Gradients, hard edges and noise, so chroma upsampling matters at every edge.
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 3;
    px[i] = (x * 3 + y) & 255;
    px[i + 1] = ((x >> 3) + (y >> 3)) % 2 === 0 ? 230 : 20;
    px[i + 2] = r.randint(0, 256);
  }
  return px;
}

async function sharpPixels(jpg: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(jpg).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

test('direct JPEG decode equals sharp for whole images and random regions', { skip }, async () => {
  const k = native!;
  const variants: Array<{ w: number; h: number; opts: sharp.JpegOptions }> = [
    { w: 500, h: 375, opts: { quality: 90 } },
    { w: 123, h: 77, opts: { quality: 75, chromaSubsampling: '4:4:4' } },
    { w: 97, h: 131, opts: { quality: 95, progressive: true } },
    { w: 64, h: 33, opts: { quality: 60, progressive: true, chromaSubsampling: '4:4:4' } },
    { w: 150, h: 101, opts: { quality: 85, optimiseCoding: true, trellisQuantisation: true } },
    { w: 17, h: 9, opts: { quality: 90 } },
  ];
  const rng = new Rng(11, 3);
  let regions = 0;
  for (const [vi, v] of variants.entries()) {
    const jpg = await sharp(picture(v.w, v.h, vi), { raw: { width: v.w, height: v.h, channels: 3 } }).jpeg(v.opts).toBuffer();
    const want = await sharpPixels(jpg);
    assert.equal(want.width, v.w);
    const whole = k.decodeJpegRegion!(jpg, 0, 0, 0, 0, 1e9);
    assert.ok(whole !== null, `variant ${vi} fell back`);
    assert.ok(Buffer.from(whole).equals(want.data), `variant ${vi}: whole image differs from sharp`);
    for (let t = 0; t < 60; t++) {
      const w = rng.randint(1, v.w + 1);
      const h = rng.randint(1, v.h + 1);
      const x = rng.randint(0, v.w - w + 1);
      const y = rng.randint(0, v.h - h + 1);
      const got = k.decodeJpegRegion!(jpg, x, y, w, h, 1e9)!;
      for (let r = 0; r < h; r++) {
        const a = Buffer.from(got.buffer, got.byteOffset + r * w * 3, w * 3);
        const s = ((y + r) * v.w + x) * 3;
        assert.ok(a.equals(want.data.subarray(s, s + w * 3)), `variant ${vi} region ${w}x${h}+${x}+${y}: row ${r} differs`);
      }
      regions++;
    }
  }
  assert.equal(regions, 360);
});

test('direct JPEG decode leaves gray, ICC, truncated and oversized files to sharp', { skip }, async () => {
  const k = native!;
  const rgb = sharp(picture(40, 30, 1), { raw: { width: 40, height: 30, channels: 3 } });
  const plain = await rgb.clone().jpeg().toBuffer();
  assert.ok(k.decodeJpegRegion!(plain, 0, 0, 0, 0, 1e9) !== null);
  const gray = await rgb.clone().toColourspace('b-w').jpeg().toBuffer();
  assert.equal(k.decodeJpegRegion!(gray, 0, 0, 0, 0, 1e9), null);
  const icc = await rgb.clone().withIccProfile('p3').jpeg().toBuffer();
  assert.equal(k.decodeJpegRegion!(icc, 0, 0, 0, 0, 1e9), null);
  assert.equal(k.decodeJpegRegion!(plain.subarray(0, plain.length >> 1), 0, 0, 0, 0, 1e9), null);
  assert.equal(k.decodeJpegRegion!(plain, 0, 0, 0, 0, 1000), null);
  assert.equal(k.decodeJpegRegion!(Buffer.from('garbage, not a jpeg'), 0, 0, 0, 0, 1e9), null);
  assert.throws(() => k.decodeJpegRegion!(plain, 30, 0, 20, 10, 1e9), RangeError);
  // Through decodeImage the fallbacks behave as sharp always did.
  const g = await decodeImage(gray, { channels: 3 });
  assert.equal(g.channels, 3);
  await assert.rejects(decodeImage(plain.subarray(0, plain.length >> 1), { channels: 3 }));
  await assert.rejects(decodeImage(plain, { channels: 3, maxPixels: 1000 }), /pixel/i);
  // An ICC-tagged file still decodes (sharp colour-converts it).
  const p3 = await decodeImage(icc, { channels: 3 });
  assert.equal(p3.width * p3.height, 1200);
});
