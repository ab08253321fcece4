import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataLoader, type Batch } from '../src/data/loader.js';
import type { PixelDataset } from '../src/data/dataset.js';
import { evalTransform, trainTransform } from '../src/data/transforms.js';
import { readFileList } from '../src/data/file_list.js';
import { encodePng } from '../src/data/png.js';
import { makeImage } from '../src/data/image.js';
import { UserError } from '../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'imcls-data-loader-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

/** n constant 8x8 gray images; image i has value i % 256 and label i. */
function pixelDataset(n: number): PixelDataset {
  const pixels = new Uint8Array(new SharedArrayBuffer(n * 64));
  for (let i = 0; i < n; i++) pixels.fill(i % 256, i * 64, (i + 1) * 64);
  return { kind: 'pixels', name: 'synthetic', pixels, width: 8, height: 8, channels: 1, labels: Int32Array.from({ length: n }, (_, i) => i), classNames: null };
}

const pre = { resizeShort: 8, crop: 8, mean: [0], std: [1], interpolation: 'bilinear' as const };

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

test('an epoch yields each sample once, shuffled, same order for the same seed, images match labels', async () => {
  const ds = pixelDataset(50);
  const mk = (seed: number, workers: number): DataLoader => new DataLoader({ dataset: ds, transform: evalTransform(pre), batchSize: 8, shuffle: true, dropLast: false, seed, workers });
  const a = mk(1, 0);
  const batches = await collect(a.epoch(0));
  assert.equal(batches.length, 7);
  assert.deepEqual(batches.map((b) => b.images.shape[0]), [8, 8, 8, 8, 8, 8, 2]);
  const order = batches.flatMap((b) => [...b.labels.indices]);
  assert.deepEqual([...order].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(order, Array.from({ length: 50 }, (_, i) => i), 'shuffled');
  for (const b of batches) {
    assert.deepEqual(b.images.shape.slice(1), [1, 8, 8]);
    b.labels.indices.forEach((y, k) => assert.ok(Math.abs(b.images.values[k * 64 + 17]! - y / 255) < 1e-6));
  }
  const again = (await collect(mk(1, 2).epoch(0))).flatMap((b) => [...b.labels.indices]);
  assert.deepEqual(again, order, 'same seed, other worker count, same order');
  const e1 = (await collect(a.epoch(1))).flatMap((b) => [...b.labels.indices]);
  assert.notDeepEqual(e1, order, 'a new shuffle per epoch');
  const s2 = (await collect(mk(2, 0).epoch(0))).flatMap((b) => [...b.labels.indices]);
  assert.notDeepEqual(s2, order, 'another seed, another order');
  assert.deepEqual(a.order(0), Int32Array.from(order));
  await a.close();
});

test('drop_last for training, full list for evaluation', async () => {
  const ds = pixelDataset(10);
  const train = new DataLoader({ dataset: ds, transform: trainTransform(pre), batchSize: 4, shuffle: true, dropLast: true, workers: 0 });
  const tb = await collect(train.epoch(0));
  assert.deepEqual(tb.map((b) => b.images.shape[0]), [4, 4]);
  assert.equal(train.numBatches, 2);
  const ev = new DataLoader({ dataset: ds, transform: evalTransform(pre), batchSize: 4, workers: 2 });
  const eb = await collect(ev.epoch(0));
  assert.deepEqual(eb.flatMap((b) => [...b.labels.indices]), Array.from({ length: 10 }, (_, i) => i));
  await ev.close();
  assert.throws(() => new DataLoader({ dataset: pixelDataset(3), transform: trainTransform(pre), batchSize: 4, dropLast: true }), /3 samples is fewer than the batch size 4/);
});

test('augmented batches are identical for 0 and 2 reader threads (draws keyed by position)', async () => {
  const dir = join(root, 'imgs');
  mkdirSync(dir, { recursive: true });
  let list = '';
  for (let i = 0; i < 12; i++) {
    const img = makeImage(40, 30, 3);
    for (let p = 0; p < img.data.length; p++) img.data[p] = (p * (i + 3)) % 251;
    writeFileSync(join(dir, `${i}.png`), encodePng(img));
    list += `${i}.png ${i % 3}\n`;
  }
  writeFileSync(join(dir, 'train_list.txt'), list);
  const ds = readFileList(join(dir, 'train_list.txt'), dir, { classDim: 3 });
  const tf = trainTransform({ resizeShort: 32, crop: 24, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], interpolation: 'bilinear' });
  const run = async (workers: number): Promise<Batch[]> => {
    const l = new DataLoader({ dataset: ds, transform: tf, batchSize: 5, shuffle: true, dropLast: true, seed: 9, workers, mix: { kind: 'mixup', alpha: 0.2 } });
    const b = await collect(l.epoch(3));
    await l.close();
    return b;
  };
  const a = await run(0);
  const b = await run(2);
  assert.equal(a.length, 2);
  for (let k = 0; k < a.length; k++) {
    assert.deepEqual(a[k]!.images.shape, [5, 3, 24, 24]);
    assert.deepEqual(a[k]!.images.values, b[k]!.images.values);
    assert.deepEqual(a[k]!.labels.indices, b[k]!.labels.indices);
    assert.deepEqual(a[k]!.labelsB!.indices, b[k]!.labelsB!.indices);
    assert.equal(a[k]!.lam, b[k]!.lam);
    assert.ok(a[k]!.lam >= 0 && a[k]!.lam <= 1);
    assert.equal(a[k]!.labels.dtype, 'int32');
  }
});

test('bad images: error names the file; skip counts and reports; no hang', async () => {
  const dir = join(root, 'bad');
  mkdirSync(dir, { recursive: true });
  let list = '';
  for (let i = 0; i < 8; i++) {
    writeFileSync(join(dir, `${i}.png`), encodePng(makeImage(16, 16, 3)));
    list += `${i}.png 0\n`;
  }
  writeFileSync(join(dir, '3.png'), Buffer.alloc(0));
  const good = encodePng(makeImage(16, 16, 3, new Uint8Array(16 * 16 * 3).fill(5)));
  writeFileSync(join(dir, '5.png'), good.subarray(0, good.length - 20));
  writeFileSync(join(dir, 'train_list.txt'), list);
  const ds = readFileList(join(dir, 'train_list.txt'), dir, { classDim: 1 });
  unlinkSync(join(dir, '6.png')); // vanished after the list was checked
  const tf = evalTransform({ resizeShort: 16, crop: 16, mean: [0, 0, 0], std: [1, 1, 1], interpolation: 'bilinear' });
  for (const workers of [0, 2]) {
    const strict = new DataLoader({ dataset: ds, transform: tf, batchSize: 2, workers });
    await assert.rejects(collect(strict.epoch(0)), (e: unknown) => e instanceof UserError && /3\.png: cannot load image: empty file/.test((e as Error).message));
    await strict.close();
    const lenient = new DataLoader({ dataset: ds, transform: tf, batchSize: 2, workers, onBadImage: 'skip' });
    const got = await collect(lenient.epoch(0));
    assert.equal(got.reduce((s, b) => s + b.images.shape[0]!, 0), 5);
    assert.equal(lenient.skipped.count, 3);
    assert.equal(got.reduce((s, b) => s + b.skipped, 0), 3);
    assert.ok(lenient.skipped.examples.some((m) => /6\.png: cannot load image: file not found/.test(m)));
    assert.ok(lenient.skipped.examples.some((m) => m.includes('5.png')));
    await lenient.close();
  }
});

test('breaking out early leaves nothing running; the next epoch works', async () => {
  const ds = pixelDataset(64);
  const l = new DataLoader({ dataset: ds, transform: trainTransform(pre), batchSize: 4, shuffle: true, dropLast: true, workers: 2, bufferSize: 32 });
  for await (const b of l.epoch(0)) {
    assert.equal(b.index, 0);
    break;
  }
  const all = await collect(l.epoch(1));
  assert.equal(all.length, 16);
  // Not closed on purpose: idle reader threads must not keep the test process alive.
});

test('tasks of an abandoned epoch generation are dropped unprocessed', async () => {
  const { processBatch } = await import('../src/data/batch.js');
  const ds = pixelDataset(4);
  const generation = new Int32Array(new SharedArrayBuffer(4));
  const ctx = { transform: evalTransform(pre), seed: 0, onBadImage: 'error' as const, mix: null, maxPixels: 1e6, pixels: { pixels: ds.pixels, width: 8, height: 8, channels: 1 }, generation };
  const task = { epoch: 0, batchIndex: 0, firstPosition: 0, indices: Int32Array.from([0, 1]), labels: Int32Array.from([0, 1]), paths: null, generation: 0 };
  assert.equal((await processBatch(task, ctx)).count, 2);
  Atomics.store(generation, 0, 1);
  const r = await processBatch(task, ctx);
  assert.equal(r.count, 0);
  assert.equal(r.error, null);
});

test('JPEG training samples decoded as a region equal full decode + crop (same draws, same pixels)', async () => {
  const sharp = (await import('sharp')).default;
  const { jpegInfo } = await import('../src/data/jpeg_info.js');
  const { decodeImage } = await import('../src/data/decode.js');
  const { Rng, STREAM_SAMPLE } = await import('../src/data/rng.js');
  const { augment, normalizeTables, normalizeInto } = await import('../src/data/transforms.js');
  const dir = join(root, 'jpegs');
  mkdirSync(dir, { recursive: true });
  let list = '';
  for (let i = 0; i < 6; i++) {
    const raw = Buffer.alloc(90 * 70 * 3);
    for (let p = 0; p < raw.length; p++) raw[p] = (p * (i + 7) + (p >> 5)) % 256;
    const jpg = await sharp(raw, { raw: { width: 90, height: 70, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    writeFileSync(join(dir, `${i}.jpg`), jpg);
    list += `${i}.jpg ${i}\n`;
    assert.deepEqual(jpegInfo(jpg), { width: 90, height: 70, orientation: 1 });
  }
  const rotated = await sharp(Buffer.alloc(30 * 20 * 3, 9), { raw: { width: 30, height: 20, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  assert.deepEqual(jpegInfo(rotated), { width: 30, height: 20, orientation: 6 });
  assert.equal(jpegInfo(encodePng(makeImage(2, 2, 3))), null);
  writeFileSync(join(dir, 'train_list.txt'), list);
  const ds = readFileList(join(dir, 'train_list.txt'), dir, { classDim: 6 });
  const tf = trainTransform({ resizeShort: 40, crop: 32, mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3], interpolation: 'bilinear' });
  const l = new DataLoader({ dataset: ds, transform: tf, batchSize: 3, shuffle: true, dropLast: true, seed: 4, workers: 0 });
  const order = l.order(2);
  const batches = await collect(l.epoch(2));
  const tables = normalizeTables(tf.mean, tf.std);
  for (let pos = 0; pos < 6; pos++) {
    const full = await decodeImage(readFileSync(ds.paths[order[pos]!]!), { channels: 3 });
    const { image, flip } = augment(full, tf, new Rng(4, STREAM_SAMPLE, 2, pos));
    const expect = new Float32Array(3 * 32 * 32);
    normalizeInto(image, tables, expect, 0, flip);
    const b = batches[Math.floor(pos / 3)]!;
    const k = pos % 3;
    assert.deepEqual(b.images.values.subarray(k * 3 * 32 * 32, (k + 1) * 3 * 32 * 32), expect, `position ${pos}`);
  }
});
