// The direct PNG decoder against sharp: the same pixels for every colour type and filter it
// accepts, and null (sharp decides) for everything it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodePlainPng } from '../src/data/png_decode.js';
import { decodeImage } from '../src/data/decode.js';
import { encodePng } from '../src/data/png.js';
import { makeImage } from '../src/data/image.js';
import { Rng } from '../src/data/rng.js';

function pixels(w: number, h: number, c: number, seed: number): Buffer {
  const r = new Rng(seed, 8);
  const px = Buffer.alloc(w * h * c);
  // Smooth ramps (Sub/Up/Average/Paeth win there) and noise (None wins): adaptive filtering mixes them.
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    px[(y * w + x) * c + k] = y % 7 < 3 ? r.randint(0, 256) : (x * (k + 1) + y * 3) & 255;
  }
  return px;
}

async function viaSharp(png: Buffer): Promise<{ data: Buffer; channels: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels };
}

test('plain PNGs decode to the pixels sharp gives (all colour types, filters, levels)', async () => {
  let n = 0;
  for (const c of [1, 2, 3, 4]) {
    for (const [w, h] of [[28, 28], [1, 5], [37, 19]] as const) {
      for (const opts of [{ compressionLevel: 0, adaptiveFiltering: false }, { compressionLevel: 9, adaptiveFiltering: true }]) {
        const png = await sharp(pixels(w, h, c, n), { raw: { width: w, height: h, channels: c as 1 | 2 | 3 | 4 } }).png(opts).toBuffer();
        const got = decodePlainPng(png, 1e9);
        assert.ok(got !== null, `c=${c} ${w}x${h} ${JSON.stringify(opts)} fell back`);
        const want = await viaSharp(png);
        assert.equal(got.channels, want.channels);
        assert.ok(Buffer.from(got.data).equals(want.data), `c=${c} ${w}x${h} ${JSON.stringify(opts)}: pixels differ`);
        n++;
      }
    }
  }
  // Our own writer (prepare's Fashion-MNIST files), and decodeImage's gray -> RGB expansion as sharp's.
  const img = makeImage(28, 28, 1, new Uint8Array(pixels(28, 28, 1, 99)));
  for (const level of [0, 6]) {
    const png = encodePng(img, level);
    assert.deepEqual(decodePlainPng(png, 1e9)?.data, img.data);
    const rgb = await decodeImage(png, { channels: 3 });
    const { data } = await sharp(png).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    assert.ok(Buffer.from(rgb.data).equals(data), `level ${level}: gray -> RGB differs from sharp`);
  }
  assert.equal(n, 24);
});

test('PNGs outside the plain case are left to sharp (null)', async () => {
  const rgb = sharp(pixels(20, 10, 3, 1), { raw: { width: 20, height: 10, channels: 3 } });
  const plain = await rgb.clone().png().toBuffer();
  assert.ok(decodePlainPng(plain, 1e9) !== null);
  assert.equal(decodePlainPng(await rgb.clone().png({ palette: true }).toBuffer(), 1e9), null);
  assert.equal(decodePlainPng(await rgb.clone().png({ progressive: true }).toBuffer(), 1e9), null);
  assert.equal(decodePlainPng(await rgb.clone().toColourspace('rgb16').png().toBuffer(), 1e9), null);
  assert.equal(decodePlainPng(await rgb.clone().withIccProfile('p3').png().toBuffer(), 1e9), null);
  assert.equal(decodePlainPng(plain, 100), null, 'over the pixel limit');
  assert.equal(decodePlainPng(plain.subarray(0, plain.length - 20), 1e9), null, 'truncated');
  const flipped = Buffer.from(plain);
  flipped[45] = flipped[45]! ^ 0x10; // inside IDAT: the CRC no longer matches
  assert.equal(decodePlainPng(flipped, 1e9), null, 'bad CRC');
  // Truncated and garbage files still fail through decodeImage (sharp's verdict).
  await assert.rejects(decodeImage(plain.subarray(0, plain.length >> 1), { channels: 3 }));
});
