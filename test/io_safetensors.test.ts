import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor, intTensor, Tensor } from '../src/tensor/tensor.js';
import { UserError } from '../src/util/errors.js';
import { encodeSafetensors, loadSafetensors, loadShardedSafetensors, readSafetensors, saveSafetensors } from '../src/io/safetensors.js';
import { randomArray } from './helpers/random.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'imcls-st-'));
}

/** A file built by hand from the spec: u64 header length, JSON, data. */
function handMade(header: object, data: Uint8Array, pad = 0): Uint8Array {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

test('round trip through a file: values, shapes, order, dtypes, metadata; data is 8-byte aligned', () => {
  const dir = tmp();
  try {
    const w = tensor(randomArray(2 * 3 * 3 * 3, 1), [2, 3, 3, 3]);
    const b = tensor([0.5, -1.25], [2]);
    const counter = intTensor([7, -3, 2147483647], [3]);
    const sd = new Map<string, Tensor>([['zeta.weight', w], ['10', b], ['counter', counter]]);
    const path = join(dir, 'm.safetensors');
    const size = saveSafetensors(path, sd, { epoch: '3', note: 'héllo' });
    const bytes = readFileSync(path);
    assert.equal(bytes.length, size);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    assert.deepEqual(header['zeta.weight'], { dtype: 'F32', shape: [2, 3, 3, 3], data_offsets: [0, 216] });
    assert.equal(header.counter.dtype, 'I32');
    const back = readSafetensors(path);
    assert.deepEqual([...back.tensors.keys()], ['zeta.weight', '10', 'counter']); // file order, even for "10"
    assert.deepEqual(back.metadata, { epoch: '3', note: 'héllo' });
    assert.deepEqual([...back.tensors.get('zeta.weight')!.shape], [2, 3, 3, 3]);
    assert.deepEqual(back.tensors.get('zeta.weight')!.values, w.values);
    assert.deepEqual(back.tensors.get('counter')!.indices, counter.indices);
    assert.deepEqual(readdirSync(dir), ['m.safetensors']); // no temp file left behind
    // also from plain records
    const enc = encodeSafetensors([{ name: 'x', shape: [2], data: Float32Array.from([1, 2]) }]);
    assert.deepEqual([...loadSafetensors(enc).get('x')!.values], [1, 2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reads F16, BF16, F64, I64 written by hand, converting to float32/int32', () => {
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]); // 1, -2, 0.333..., 2^-24, inf
  const bf16 = new Uint16Array([0x3f80, 0xc040]); // 1, -3
  const f64 = new Float64Array([0.1, -2.5]);
  const i64 = new BigInt64Array([5n, -6n]);
  const parts = [f16, bf16, f64, i64].map((a) => new Uint8Array(a.buffer));
  const offs: number[] = [0];
  for (const p of parts) offs.push(offs[offs.length - 1]! + p.length);
  const header = {
    __metadata__: { format: 'pt' },
    a: { dtype: 'F16', shape: [5], data_offsets: [offs[0], offs[1]] },
    b: { dtype: 'BF16', shape: [1, 2], data_offsets: [offs[1], offs[2]] },
    c: { dtype: 'F64', shape: [2], data_offsets: [offs[2], offs[3]] },
    d: { dtype: 'I64', shape: [2], data_offsets: [offs[3], offs[4]] },
  };
  const t = loadSafetensors(handMade(header, Buffer.concat(parts), 3));
  const a = t.get('a')!.values;
  assert.equal(a[0], 1);
  assert.equal(a[1], -2);
  assert.ok(Math.abs(a[2]! - 0.33325195) < 1e-7);
  assert.equal(a[3], 2 ** -24);
  assert.equal(a[4], Infinity);
  assert.deepEqual([...t.get('b')!.values], [1, -3]);
  assert.deepEqual([...t.get('b')!.shape], [1, 2]);
  assert.deepEqual([...t.get('c')!.values], [Math.fround(0.1), -2.5]);
  assert.deepEqual([...t.get('d')!.indices], [5, -6]);
  // an int64 that does not fit int32 is refused, naming the tensor
  const big = handMade({ d: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(new BigInt64Array([1n << 40n]).buffer));
  throwsUser(() => loadSafetensors(big), /tensor 'd'.*does not fit in int32/);
});

test('corrupt files: each gives one UserError naming the problem and tensor', () => {
  const data = f32bytes([1, 2, 3, 4]);
  const ok = { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
  assert.equal(loadSafetensors(handMade(ok, data)).get('w')!.size, 4);

  // header length larger than the file, absurdly large, too small; file shorter than 8 bytes
  const bad = handMade(ok, data);
  new DataView(bad.buffer).setBigUint64(0, 1000n, true);
  throwsUser(() => loadSafetensors(bad), /header length 1000 but the file has only/);
  new DataView(bad.buffer).setBigUint64(0, 1n << 62n, true);
  throwsUser(() => loadSafetensors(bad), /exceeds the 100000000-byte limit/);
  new DataView(bad.buffer).setBigUint64(0, 0n, true);
  throwsUser(() => loadSafetensors(bad), /too small/);
  throwsUser(() => loadSafetensors(new Uint8Array(5)), /shorter than the 8-byte header length/);
  // not JSON
  throwsUser(() => loadSafetensors(handMade({}, data).fill(0x41, 8, 10)), /does not start with|not valid/);

  // offsets out of range
  throwsUser(() => loadSafetensors(handMade({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 32] } }, data)), /tensor 'w'.*run past the end/);
  // wrong byte count for the shape
  throwsUser(() => loadSafetensors(handMade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data)), /tensor 'w': shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 16\] hold 16/);
  // overlapping
  throwsUser(
    () => loadSafetensors(handMade({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data)),
    /tensor 'b'.*overlap/,
  );
  // gap
  throwsUser(() => loadSafetensors(handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data)), /tensor 'a'.*gap/);
  // trailing bytes
  throwsUser(() => loadSafetensors(handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data)), /describes 8 bytes of data but the file holds 16/);
  // unknown dtype, bad shape, metadata not strings
  throwsUser(() => loadSafetensors(handMade({ a: { dtype: 'F33', shape: [4], data_offsets: [0, 16] } }, data)), /tensor 'a': unknown dtype "F33"/);
  throwsUser(() => loadSafetensors(handMade({ a: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, data)), /tensor 'a': shape/);
  throwsUser(() => loadSafetensors(handMade({ __metadata__: { a: 1 }, ...ok }, data)), /__metadata__ value for 'a'/);
  // a huge declared shape is caught by arithmetic, never allocated
  throwsUser(() => loadSafetensors(handMade({ a: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 16] } }, data)), /tensor 'a'.*needs 4000000000000000000 bytes/);

  // truncated file on disk (a real crash mid-copy), named by path
  const dir = tmp();
  try {
    const p = join(dir, 'cut.safetensors');
    saveSafetensors(p, new Map([['w', tensor(randomArray(100, 2), [10, 10])]]));
    const full = readFileSync(p);
    writeFileSync(p, full.subarray(0, full.length - 7));
    throwsUser(() => loadSafetensors(p), new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tensor 'w'.*run past the end`));
    throwsUser(() => loadSafetensors(join(dir, 'nope.safetensors')), /nope.safetensors: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sharded model.safetensors.index.json', () => {
  const dir = tmp();
  try {
    saveSafetensors(join(dir, 'model-00001-of-00002.safetensors'), new Map([['a', tensor([1, 2], [2])], ['b', tensor([3], [1])]]));
    saveSafetensors(join(dir, 'model-00002-of-00002.safetensors'), new Map([['c', intTensor([4, 5, 6], [3])]]));
    const index = { metadata: { total_size: 24 }, weight_map: { a: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors', b: 'model-00001-of-00002.safetensors' } };
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const r = loadShardedSafetensors(join(dir, 'model.safetensors.index.json'));
    assert.deepEqual([...r.tensors.keys()], ['a', 'c', 'b']);
    assert.deepEqual([...r.tensors.get('c')!.indices], [4, 5, 6]);
    assert.equal(r.metadata['total_size'], '24');
    writeFileSync(join(dir, 'bad.index.json'), JSON.stringify({ weight_map: { a: 'model-00002-of-00002.safetensors' } }));
    throwsUser(() => loadShardedSafetensors(join(dir, 'bad.index.json')), /model-00002-of-00002.safetensors: tensor 'a' is not in the file/);
    writeFileSync(join(dir, 'evil.index.json'), JSON.stringify({ weight_map: { a: '../x.safetensors' } }));
    throwsUser(() => loadShardedSafetensors(join(dir, 'evil.index.json')), /not a file name in the index's directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
