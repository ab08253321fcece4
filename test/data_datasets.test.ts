import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { readFileList, readSeedList, readLabelList, parseListText } from '../src/data/file_list.js';
import { readImageFolder } from '../src/data/image_folder.js';
import { readIdxDataset, parseIdx } from '../src/data/idx.js';
import { readCifarDataset } from '../src/data/cifar.js';
import { decodeImage } from '../src/data/decode.js';
import { encodeBmp24, decodeBmp } from '../src/data/bmp.js';
import { encodePng } from '../src/data/png.js';
import { makeImage } from '../src/data/image.js';
import { UserError } from '../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'imcls-data-ds-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

function tiny(): Buffer {
  return encodePng(makeImage(2, 2, 3, Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])));
}

function setupDir(name: string, files: string[]): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const f of files) {
    mkdirSync(join(d, f, '..'), { recursive: true });
    writeFileSync(join(d, f), tiny());
  }
  return d;
}

function listError(dir: string, text: string | Buffer, classDim?: number): string {
  writeFileSync(join(dir, 'train_list.txt'), text);
  try {
    readFileList(join(dir, 'train_list.txt'), dir, classDim === undefined ? {} : { classDim });
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return (e as Error).message;
  }
  assert.fail('expected an error');
}

test('file list: paths joined to data_dir, labels, spaces in paths, CRLF, BOM, blank lines', () => {
  const d = setupDir('list_ok', ['train/a.png', 'train/b c.png', 'train/d.png']);
  writeFileSync(join(d, 'train_list.txt'), '\ufefftrain/a.png 3\r\ntrain/b c.png 0\r\n\r\n  train/d.png\t7  \r\n');
  writeFileSync(join(d, 'label_list.txt'), Array.from({ length: 10 }, (_, i) => `${i} class ${i}\n`).join(''));
  const ds = readSeedList(d, 'train', { classDim: 10 });
  assert.deepEqual(ds.paths, [join(d, 'train/a.png'), join(d, 'train/b c.png'), join(d, 'train/d.png')]);
  assert.deepEqual([...ds.labels], [3, 0, 7]);
  assert.equal(ds.classNames?.[7], 'class 7');
  assert.deepEqual(parseListText('x 1\n', 'f').map((l) => l.line), [1]);
});

test('file list: every problem stops with file:line and the reason', () => {
  const d = setupDir('list_bad', ['a.png', 'b.png']);
  mkdirSync(join(d, 'adir'), { recursive: true });
  const lp = join(d, 'train_list.txt');
  assert.equal(listError(d, 'a.png 1\nb.png\n'), `${lp}:2: expected '<path> <label>', got 'b.png' (missing label)`);
  assert.match(listError(d, 'a.png 1\nb.png x7\n'), new RegExp(`${lp}:2: label 'x7' is not an integer`));
  assert.match(listError(d, 'a.png 1.5\n'), /:1: label '1\.5' is not an integer/);
  assert.match(listError(d, 'a.png 1\nb.png 10\n', 10), /:2: label 10 is outside \[0, 10\)/);
  assert.match(listError(d, 'a.png -1\n'), /:1: label -1 is negative/);
  assert.match(listError(d, 'a.png 1\nmissing.png 2\n'), /:2: image file not found: .*missing\.png/);
  assert.match(listError(d, 'adir 1\n'), /:1: .*adir is a directory, not an image file/);
  assert.match(listError(d, ''), /the file list is empty/);
  assert.match(listError(d, '\ufeff\r\n\r\n'), /the file list is empty/);
  assert.match(listError(d, 'a.png 1\nb.png 2\na.png 1\n'), /:3: duplicate entry 'a\.png' \(first at line 1\)/);
  assert.throws(() => readFileList(join(d, 'nope.txt'), d), /nope\.txt: cannot read the file list \(no such file\)/);
  assert.throws(() => readSeedList(join(d, 'a.png'), 'train'), /--data_dir: .* is not a directory/);
  writeFileSync(join(d, 'labels.txt'), '0 a\n2 c\n');
  assert.throws(() => readLabelList(join(d, 'labels.txt')), /class id 1 is missing/);
});

test('image folder: sorted classes, recursive sorted files, class index file', () => {
  const d = setupDir('folder', ['zebra/2.png', 'zebra/1.jpg', 'ant/x/3.png', 'ant/0.png', 'Bee/9.png', 'ant/notes.txt']);
  const idx = join(root, 'classes.txt');
  const ds = readImageFolder(d, { classIndexFile: idx });
  assert.deepEqual(ds.classNames, ['Bee', 'ant', 'zebra']);
  assert.deepEqual(ds.paths.map((p) => p.slice(d.length + 1)), ['Bee/9.png', 'ant/0.png', 'ant/x/3.png', 'zebra/1.jpg', 'zebra/2.png']);
  assert.deepEqual([...ds.labels], [0, 1, 1, 2, 2]);
  assert.equal(readFileSync(idx, 'utf8'), '0 Bee\n1 ant\n2 zebra\n');
  assert.deepEqual(readLabelList(idx), ['Bee', 'ant', 'zebra']);
  assert.throws(() => readImageFolder(setupDir('folder_empty', [])), /no class subfolders/);
});

function idxBytes(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 8;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, data]);
}

test('IDX datasets, gzipped and raw', () => {
  const n = 3;
  const px = Uint8Array.from({ length: n * 4 * 5 }, (_, i) => (i * 11) % 256);
  const d = join(root, 'idx');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'img.gz'), gzipSync(idxBytes([n, 4, 5], px)));
  writeFileSync(join(d, 'lab'), idxBytes([n], Uint8Array.from([7, 0, 3])));
  const ds = readIdxDataset(join(d, 'img.gz'), join(d, 'lab'));
  assert.equal(ds.width, 5);
  assert.equal(ds.height, 4);
  assert.equal(ds.channels, 1);
  assert.deepEqual([...ds.labels], [7, 0, 3]);
  assert.deepEqual([...ds.pixels], [...px]);
  assert.ok(ds.pixels.buffer instanceof SharedArrayBuffer);
  writeFileSync(join(d, 'lab2'), idxBytes([2], Uint8Array.from([1, 2])));
  assert.throws(() => readIdxDataset(join(d, 'img.gz'), join(d, 'lab2')), /2 labels for 3 images/);
  assert.throws(() => parseIdx(idxBytes([n, 4, 5], px).subarray(0, 30), 'cut'), /truncated IDX data/);
  assert.throws(() => parseIdx(Buffer.from([1, 2, 3, 4]), 'bad'), /bad magic/);
});

test('CIFAR-10 and CIFAR-100 binary batches', () => {
  const d = join(root, 'cifar');
  mkdirSync(d, { recursive: true });
  const rec = (labels: number[], seed: number): Buffer => {
    const b = Buffer.alloc(labels.length + 3072);
    labels.forEach((l, i) => (b[i] = l));
    for (let i = 0; i < 3072; i++) b[labels.length + i] = (i * 3 + seed) % 256;
    return b;
  };
  for (let i = 1; i <= 5; i++) writeFileSync(join(d, `data_batch_${i}.bin`), Buffer.concat([rec([i], i), rec([9], 100 + i)]));
  writeFileSync(join(d, 'test_batch.bin'), rec([4], 0));
  writeFileSync(join(d, 'batches.meta.txt'), 'airplane\nautomobile\n\n');
  const tr = readCifarDataset(d, 'cifar10', 'train');
  assert.equal(tr.labels.length, 10);
  assert.deepEqual([...tr.labels], [1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
  // HWC: pixel p's R, G, B come from planes at p, 1024 + p, 2048 + p.
  const p = 33;
  assert.deepEqual([...tr.pixels.subarray(3 * p, 3 * p + 3)], [(p * 3 + 1) % 256, ((1024 + p) * 3 + 1) % 256, ((2048 + p) * 3 + 1) % 256]);
  assert.deepEqual(tr.classNames, ['airplane', 'automobile']);
  writeFileSync(join(d, 'train.bin'), Buffer.concat([rec([2, 57], 5), rec([1, 99], 6)]));
  const c100 = readCifarDataset(d, 'cifar100', 'train');
  assert.deepEqual([...c100.labels], [57, 99]);
  writeFileSync(join(d, 'test.bin'), Buffer.alloc(100));
  assert.throws(() => readCifarDataset(d, 'cifar100', 'test'), /not a whole number of 3074-byte cifar100 records/);
});

async function raw(img: sharp.Sharp): Promise<Buffer> {
  return img.toBuffer();
}

test('decoding: JPEG, PNG, WebP, GIF, TIFF, BMP; gray/alpha/16-bit/CMYK; EXIF orientation', async () => {
  const w = 6;
  const h = 4;
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    rgb[3 * i] = (i * 10) % 256;
    rgb[3 * i + 1] = 255 - i * 5;
    rgb[3 * i + 2] = 40;
  }
  const input = (): sharp.Sharp => sharp(rgb, { raw: { width: w, height: h, channels: 3 } });
  // Lossless formats round-trip exactly.
  for (const [name, buf] of [
    ['png', await raw(input().png())],
    ['webp', await raw(input().webp({ lossless: true }))],
    ['tiff', await raw(input().tiff({ compression: 'lzw' }))],
    ['bmp', encodeBmp24({ data: rgb, width: w, height: h, channels: 3 })],
  ] as const) {
    const img = await decodeImage(buf, { channels: 3 });
    assert.equal(img.width, w, name);
    assert.equal(img.height, h, name);
    assert.deepEqual(Buffer.from(img.data), rgb, name);
  }
  const jpg = await decodeImage(await raw(input().jpeg({ quality: 100, chromaSubsampling: '4:4:4' })), { channels: 3 });
  assert.equal(jpg.channels, 3);
  for (let i = 0; i < rgb.length; i++) assert.ok(Math.abs(jpg.data[i]! - rgb[i]!) < 12, `jpeg byte ${i}: ${jpg.data[i]} vs ${rgb[i]}`);
  const gif = await decodeImage(await raw(input().gif()), { channels: 3 });
  assert.equal(gif.width, w);
  // Gray PNG -> 3 equal channels, or 1 channel for 1-channel models.
  const grayPng = encodePng(makeImage(3, 1, 1, Uint8Array.from([0, 128, 255])));
  assert.deepEqual([...(await decodeImage(grayPng, { channels: 3 })).data], [0, 0, 0, 128, 128, 128, 255, 255, 255]);
  assert.deepEqual([...(await decodeImage(grayPng, { channels: 1 })).data], [0, 128, 255]);
  // Alpha dropped.
  const rgba = await raw(sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png());
  assert.deepEqual([...(await decodeImage(rgba, { channels: 3 })).data], [10, 20, 30, 40, 50, 60]);
  // 16-bit PNG -> 8-bit.
  const png16 = await raw(input().toColourspace('rgb16').png());
  const d16 = await decodeImage(png16, { channels: 3 });
  assert.equal(d16.data.length, w * h * 3);
  assert.ok(Math.abs(d16.data[3]! - rgb[3]!) <= 1);
  // CMYK JPEG -> sRGB.
  const cmyk = await raw(sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 200, g: 30, b: 30 } } }).toColourspace('cmyk').jpeg({ quality: 100 }));
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const dc = await decodeImage(cmyk, { channels: 3 });
  assert.equal(dc.channels, 3);
  assert.ok(dc.data[0]! > 150 && dc.data[1]! < 90, [...dc.data.subarray(0, 3)].join(','));
  // EXIF orientation 6 (rotate 90 clockwise): a 6x4 image displays as 4x6.
  const oriented = await raw(input().jpeg({ quality: 100 }).withMetadata({ orientation: 6 }));
  const od = await decodeImage(oriented, { channels: 3 });
  assert.equal(od.width, h);
  assert.equal(od.height, w);
});

test('decoding: empty, truncated, garbage, too many pixels, bad BMP', async () => {
  await assert.rejects(decodeImage(new Uint8Array(0), { channels: 3 }), /empty file/);
  const jpg = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 1, g: 2, b: 3 } } }).jpeg().toBuffer();
  await assert.rejects(decodeImage(jpg.subarray(0, jpg.length >> 1), { channels: 3 }));
  await assert.rejects(decodeImage(Buffer.from('not an image at all'), { channels: 3 }));
  await assert.rejects(decodeImage(jpg, { channels: 3, maxPixels: 1000 }), /pixel/i);
  const bmp = encodeBmp24(makeImage(8, 8, 3));
  assert.throws(() => decodeBmp(bmp.subarray(0, 100)), /truncated BMP/);
  assert.throws(() => decodeBmp(bmp, 10), /exceeds the pixel limit/);
});
