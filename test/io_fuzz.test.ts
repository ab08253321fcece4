// Corrupted inputs must end in a UserError (or load, when the damage is only in the values) —
// never a TypeError/RangeError, a hang, or a huge allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, intTensor } from '../src/tensor/tensor.js';
import { UserError } from '../src/util/errors.js';
import { encodeSafetensors, loadSafetensors } from '../src/io/safetensors.js';
import { decodePaddleTensor, encodeCombinedParams, encodePaddleTensor, splitCombinedParams } from '../src/io/paddle.js';
import { tarFiles } from '../src/io/tar.js';
import { bytesSource } from '../src/io/byte_source.js';
import { randomArray, rng } from './helpers/random.js';

function mutations(base: Uint8Array, seed: number, count: number, hot = 120): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    if (kind === 0) out.push(base.subarray(0, Math.floor(r() * base.length))); // truncation
    else {
      const b = Uint8Array.from(base);
      const flips = kind === 1 ? 1 : 1 + Math.floor(r() * 8);
      // bias towards the header, where the structure is
      for (let f = 0; f < flips; f++) b[Math.floor(r() * Math.min(b.length, r() < 0.8 ? hot : b.length))] = Math.floor(r() * 256);
      out.push(b);
    }
  }
  return out;
}

function survives(label: string, bytes: Uint8Array, fn: (b: Uint8Array) => unknown): 'ok' | 'error' {
  const before = process.memoryUsage().arrayBuffers;
  try {
    fn(bytes);
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof UserError, `${label}: expected a UserError, got ${(e as Error)?.stack ?? String(e)}`);
    return 'error';
  } finally {
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, `${label}: allocated too much`);
  }
}

test('fuzz: safetensors', () => {
  const base = encodeSafetensors(new Map([['a', tensor(randomArray(24, 1), [2, 3, 4])], ['b', intTensor([1, 2, 3], [3])], ['c', tensor([1], [1])]]), { k: 'v' });
  let errors = 0;
  mutations(base, 7, 600).forEach((m, i) => { if (survives(`safetensors #${i}`, m, loadSafetensors) === 'error') errors++; });
  assert.ok(errors > 300, `most mutations must be caught (${errors})`);
});

test('fuzz: Paddle records and combined params', () => {
  const rec = encodePaddleTensor(tensor(randomArray(2 * 3 * 5, 2), [2, 3, 5]));
  let errors = 0;
  mutations(rec, 8, 600).forEach((m, i) => { if (survives(`paddle #${i}`, m, (b) => decodePaddleTensor(b, 'w')) === 'error') errors++; });
  assert.ok(errors > 300, `most mutations must be caught (${errors})`);
  const combined = encodeCombinedParams(new Map([['a', tensor([1, 2], [2])], ['b', tensor(randomArray(6, 3), [2, 3])], ['c', intTensor([4], [1])]]));
  mutations(combined, 9, 600).forEach((m, i) => survives(`combined #${i}`, m, (b) => splitCombinedParams(b, ['c', 'a', 'b'], { a: [2], b: [2, 3], c: [1] })));
});

function header(name: string, size: number, type = '0'): Uint8Array {
  const h = new Uint8Array(512);
  h.set(Buffer.from(name), 0);
  h.set(Buffer.from('0000644\0'), 100);
  h.set(Buffer.from(size.toString(8).padStart(11, '0') + '\0'), 124);
  h[156] = type.charCodeAt(0);
  h.set(Buffer.from('ustar\0' + '00'), 257);
  h.fill(32, 148, 156);
  let sum = 0;
  for (const x of h) sum += x;
  h.set(Buffer.from(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  return h;
}

test('fuzz: tar headers', () => {
  // one member: header block + 30 bytes of data padded to 512 + two zero blocks
  const tar = Buffer.concat([header('dir/file', 30), new Uint8Array(512).fill(7, 0, 30), new Uint8Array(1024)]);
  assert.equal(tarFiles(bytesSource(tar, 't.tar')).get('dir/file')!.size, 30);
  mutations(tar, 10, 600, 512).forEach((m, i) => survives(`tar #${i}`, m, (b) => tarFiles(bytesSource(b, 't.tar'))));
});

test('tar: pax records override the path and size of the next member', () => {
  const rec = (k: string, v: string): string => {
    const body = ` ${k}=${v}\n`;
    let n = body.length + 1;
    while (String(n).length + body.length !== n) n++;
    return `${n}${body}`;
  };
  const pax = Buffer.from(rec('path', 'long/' + 'p'.repeat(150)) + rec('size', '30'));
  const padded = (b: Uint8Array): Uint8Array => Buffer.concat([b, new Uint8Array((512 - (b.length % 512)) % 512)]);
  const tar = Buffer.concat([header('PaxHeaders/x', pax.length, 'x'), padded(pax), header('short', 0), padded(new Uint8Array(30).fill(9)), new Uint8Array(1024)]);
  const files = tarFiles(bytesSource(tar, 'p.tar'));
  const f = files.get('long/' + 'p'.repeat(150))!;
  assert.equal(f.size, 30);
  const got = new Uint8Array(30);
  f.readInto(0, got);
  assert.ok(got.every((x) => x === 9));
  const bad = Buffer.concat([header('PaxHeaders/x', 14, 'x'), padded(Buffer.from(rec('size', '-5'))), new Uint8Array(1024)]);
  assert.throws(() => tarFiles(bytesSource(bad, 'b.tar')), (e: unknown) => e instanceof UserError && /corrupt pax header at byte 0/.test((e as Error).message));
});
