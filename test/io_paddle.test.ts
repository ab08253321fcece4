import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tensor, intTensor } from '../src/tensor/tensor.js';
import { UserError } from '../src/util/errors.js';
import {
  decodePaddleTensor,
  decodeTensorDesc,
  encodeCombinedParams,
  encodePaddleTensor,
  encodeTensorDesc,
  loadPaddleParams,
  readPaddleParams,
  saveCombinedParams,
  savePaddleParams,
  sortedParamNames,
  splitCombinedParams,
} from '../src/io/paddle.js';
import { randomArray } from './helpers/random.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'imcls-pd-'));
}

function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

/** A LoDTensor record assembled byte by byte from PADDLE_REFERENCE.md §7.2/§7.3. */
function specRecord(opts: { version?: number; tensorVersion?: number; lod?: bigint[][]; desc: number[]; data: Uint8Array }): Uint8Array {
  const bytes: number[] = [];
  const u32 = (v: number): void => { bytes.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255); };
  const u64 = (v: bigint): void => { for (let i = 0n; i < 8n; i++) bytes.push(Number((v >> (8n * i)) & 255n)); };
  u32(opts.version ?? 0); // lod_tensor_version
  const lod = opts.lod ?? [];
  u64(BigInt(lod.length)); // lod_level
  for (const level of lod) {
    u64(BigInt(level.length * 8));
    for (const off of level) u64(off);
  }
  u32(opts.tensorVersion ?? 0); // tensor_version
  u32(opts.desc.length); // desc_nbytes (int32)
  bytes.push(...opts.desc);
  const out = new Uint8Array(bytes.length + opts.data.length);
  out.set(bytes);
  out.set(opts.data, bytes.length);
  return out;
}

const CONV1_DESC = [0x08, 0x05, 0x10, 0x40, 0x10, 0x03, 0x10, 0x07, 0x10, 0x07]; // FP32, dims 64,3,7,7

test('FP32 [64,3,7,7] from the spec: 30-byte header, loads, and the writer reproduces it byte for byte', () => {
  const values = randomArray(64 * 3 * 7 * 7, 11);
  const file = specRecord({ desc: CONV1_DESC, data: new Uint8Array(values.buffer) });
  assert.equal(file.length, 30 + 37632);
  const t = decodePaddleTensor(file, 'conv1_weights', [64, 3, 7, 7]);
  assert.deepEqual([...t.shape], [64, 3, 7, 7]);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.values, values);
  const written = encodePaddleTensor(tensor(values, [64, 3, 7, 7]));
  assert.equal(written.length - 37632, 30); // the header the issue asks for
  assert.deepEqual(written, file);
  assert.deepEqual([...encodeTensorDesc({ dataType: 5, dims: [64, 3, 7, 7] })], CONV1_DESC);
});

test('INT64 counter, LoD levels, packed dims, FP64/FP16, and unknown protobuf fields', () => {
  // @LR_DECAY_COUNTER@: INT64 [1] -> int32, written back as INT64 byte-identically
  const counter = specRecord({ desc: [0x08, 0x03, 0x10, 0x01], data: new Uint8Array(new BigInt64Array([12345n]).buffer) });
  const c = decodePaddleTensor(counter, '@LR_DECAY_COUNTER@', [1]);
  assert.equal(c.dtype, 'int32');
  assert.equal(c.item(), 12345);
  assert.deepEqual(encodePaddleTensor(c, 'INT64'), counter);
  // a record with one LoD level (skipped) and packed dims (tag 0x12)
  const lodRec = specRecord({ lod: [[0n, 2n, 3n]], desc: [0x08, 0x05, 0x12, 0x02, 0x03, 0x01], data: new Uint8Array(Float32Array.from([1, 2, 3]).buffer) });
  const l = decodePaddleTensor(lodRec, 'seq');
  assert.deepEqual([...l.shape], [3, 1]);
  assert.deepEqual([...l.values], [1, 2, 3]);
  // FP64 and FP16 convert to float32; an unknown field 3 (varint) is skipped
  const f64 = decodePaddleTensor(specRecord({ desc: [0x08, 0x06, 0x10, 0x02, 0x18, 0x07], data: new Uint8Array(Float64Array.from([0.5, -4]).buffer) }));
  assert.deepEqual([...f64.values], [0.5, -4]);
  const f16 = decodePaddleTensor(specRecord({ desc: [0x08, 0x04, 0x10, 0x02], data: new Uint8Array(new Uint16Array([0x3c00, 0xbc00]).buffer) }));
  assert.deepEqual([...f16.values], [1, -1]);
  // a multi-byte varint dim: 300 = 0xac 0x02
  assert.deepEqual(decodeTensorDesc(Uint8Array.from([0x08, 0x05, 0x10, 0xac, 0x02])).dims, [300]);
  assert.deepEqual([...encodeTensorDesc({ dataType: 5, dims: [300] })], [0x08, 0x05, 0x10, 0xac, 0x02]);
});

test('corrupt records: one clear UserError each, and no large allocation', () => {
  const data = new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6]).buffer);
  const desc23 = [0x08, 0x05, 0x10, 0x02, 0x10, 0x03];
  const good = specRecord({ desc: desc23, data });
  assert.equal(decodePaddleTensor(good, 'w').size, 6);
  // truncated data
  throwsUser(() => decodePaddleTensor(good.subarray(0, good.length - 3), 'fc_0.w_0'), /tensor 'fc_0.w_0': dims \[2, 3\] of FP32 declare 24 bytes of data but only 21 remain/);
  // truncated header
  throwsUser(() => decodePaddleTensor(good.subarray(0, 10), 'w'), /tensor 'w': truncated at byte 4 \(reading lod_level/);
  throwsUser(() => decodePaddleTensor(new Uint8Array(0), 'w'), /tensor 'w': empty/);
  // wrong versions
  throwsUser(() => decodePaddleTensor(specRecord({ version: 1, desc: desc23, data }), 'w'), /not a Paddle Fluid tensor file \(lod_tensor_version is 1/);
  throwsUser(() => decodePaddleTensor(specRecord({ tensorVersion: 2, desc: desc23, data }), 'w'), /tensor_version 2/);
  // dims that disagree with the expected shape
  throwsUser(() => decodePaddleTensor(good, 'fc_0.w_0', [3, 2]), /tensor 'fc_0.w_0' has dims \[2, 3\] but the model expects \[3, 2\]/);
  // trailing bytes after the data
  throwsUser(() => decodePaddleTensor(Buffer.concat([good, new Uint8Array(4)]), 'w'), /4 unexpected bytes after the tensor data/);
  // a non-tensor VarType and a missing data_type
  throwsUser(() => decodePaddleTensor(specRecord({ desc: [0x08, 0x07, 0x10, 0x06], data }), 'w'), /data_type 7 is not a tensor element type/);
  throwsUser(() => decodePaddleTensor(specRecord({ desc: [0x10, 0x06], data }), 'w'), /required field data_type is missing/);
  // negative dim (-1 as a 10-byte varint) and a broken varint
  throwsUser(() => decodePaddleTensor(specRecord({ desc: [0x08, 0x05, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], data }), 'w'), /negative dimension -1/);
  throwsUser(() => decodePaddleTensor(specRecord({ desc: [0x08, 0x05, 0x10, 0x80], data }), 'w'), /corrupt TensorDesc \(truncated varint\)/);
  // desc size field absurd
  const badDesc = good.slice();
  new DataView(badDesc.buffer).setInt32(16, -5, true);
  throwsUser(() => decodePaddleTensor(badDesc, 'w'), /TensorDesc size -5/);
  // a huge declared size: dims [2^40, 2^20] of FP32 = 4 EiB; refused before any allocation
  const before = process.memoryUsage().arrayBuffers;
  const huge = specRecord({ desc: [0x08, 0x05, 0x10, ...[0x80, 0x80, 0x80, 0x80, 0x80, 0x20], 0x10, 0x80, 0x80, 0x40], data });
  throwsUser(() => decodePaddleTensor(huge, 'conv1_weights'), /tensor 'conv1_weights': dims \[1099511627776, 1048576\] of FP32 declare 4611686018427388000 bytes of data but only 24 remain/);
  // a huge LoD level size
  const hugeLod = specRecord({ lod: [[0n]], desc: desc23, data });
  new DataView(hugeLod.buffer).setBigUint64(12, 1n << 50n, true);
  throwsUser(() => decodePaddleTensor(hugeLod, 'w'), /LoD level 0 declares 1125899906842624 bytes/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'no large buffer was allocated');
});

test('directory of per-variable files: save, load with expected shapes, missing and mismatched', () => {
  const root = tmp();
  try {
    const dir = join(root, 'ResNet50_pretrained');
    const sd = new Map([
      ['conv1_weights', tensor(randomArray(8 * 3 * 3 * 3, 3), [8, 3, 3, 3])],
      ['bn_conv1_scale', tensor(randomArray(8, 4), [8])],
      ['fc_0.w_0', tensor(randomArray(8 * 5, 5), [8, 5])],
      ['@LR_DECAY_COUNTER@', intTensor([42], [1])],
    ]);
    savePaddleParams(dir, sd, { dataTypes: { '@LR_DECAY_COUNTER@': 'INT64' } });
    assert.deepEqual(readdirSync(dir).sort(), ['@LR_DECAY_COUNTER@', 'bn_conv1_scale', 'conv1_weights', 'fc_0.w_0']);
    assert.equal(readFileSync(join(dir, 'conv1_weights')).length, 30 + 8 * 27 * 4); // 4 one-byte dims: 10-byte desc, 30-byte header
    const all = loadPaddleParams(dir);
    assert.equal(all.size, 4);
    assert.deepEqual(all.get('fc_0.w_0')!.values, sd.get('fc_0.w_0')!.values);
    const r = readPaddleParams(dir, { shapes: { conv1_weights: [8, 3, 3, 3], 'fc_0.w_0': [8, 5] } });
    assert.deepEqual([...r.tensors.keys()], ['conv1_weights', 'fc_0.w_0']);
    assert.equal(r.dataTypes.get('conv1_weights'), 'FP32');
    assert.equal(readPaddleParams(dir).dataTypes.get('@LR_DECAY_COUNTER@'), 'INT64');
    // a class_dim change: error by default, or reported and skipped
    throwsUser(() => loadPaddleParams(dir, { shapes: { 'fc_0.w_0': [8, 6] } }), /fc_0.w_0: tensor 'fc_0.w_0' has dims \[8, 5\] but the model expects \[8, 6\]/);
    const skipped = readPaddleParams(dir, { shapes: { 'fc_0.w_0': [8, 6], conv1_weights: [8, 3, 3, 3] }, onMismatch: 'skip' });
    assert.deepEqual(skipped.mismatched, [{ name: 'fc_0.w_0', expected: [8, 6], got: [8, 5] }]);
    assert.deepEqual([...skipped.tensors.keys()], ['conv1_weights']);
    // missing files
    throwsUser(() => loadPaddleParams(dir, { names: ['conv1_weights', 'res2a_branch1_weights'] }), /1 variable file\(s\) missing: res2a_branch1_weights/);
    assert.deepEqual(readPaddleParams(dir, { names: ['conv1_weights', 'nope'], allowMissing: true }).missing, ['nope']);
    // a corrupt file in the directory names that file
    writeFileSync(join(dir, 'bn_conv1_scale'), readFileSync(join(dir, 'bn_conv1_scale')).subarray(0, 30));
    throwsUser(() => loadPaddleParams(dir), /bn_conv1_scale: tensor 'bn_conv1_scale': dims \[8\] of FP32 declare 32 bytes of data but only/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** One ustar header block, written by hand. */
function ustarHeader(name: string, size: number, type = '0'): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, s: string): void => { h.set(Buffer.from(s, 'latin1'), off); };
  put(0, name);
  put(100, '0000644\0');
  put(108, '0000000\0');
  put(116, '0000000\0');
  put(124, size.toString(8).padStart(11, '0') + '\0');
  put(136, '00000000000\0');
  put(156, type);
  put(257, 'ustar\0');
  put(263, '00');
  h.fill(32, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

function handTar(files: Array<[string, Uint8Array]>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, data] of files) {
    if (name.endsWith('/')) {
      parts.push(ustarHeader(name, 0, '5'));
      continue;
    }
    parts.push(ustarHeader(name, data.length));
    parts.push(data);
    const pad = (512 - (data.length % 512)) % 512;
    parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

test('a Paddle pretrained .tar is read directly: hand-written ustar and the system tar (GNU long names)', () => {
  const root = tmp();
  try {
    const w = tensor(randomArray(4 * 2 * 3 * 3, 7), [4, 2, 3, 3]);
    const b = tensor(randomArray(4, 8), [4]);
    const tarPath = join(root, 'Tiny_pretrained.tar');
    writeFileSync(tarPath, handTar([
      ['Tiny_pretrained/', new Uint8Array(0)],
      ['Tiny_pretrained/conv1_weights', encodePaddleTensor(w)],
      ['Tiny_pretrained/conv1_offset', encodePaddleTensor(b)],
    ]));
    const got = loadPaddleParams(tarPath, { shapes: { conv1_weights: [4, 2, 3, 3], conv1_offset: [4] } });
    assert.deepEqual(got.get('conv1_weights')!.values, w.values);
    assert.deepEqual(got.get('conv1_offset')!.values, b.values);
    assert.deepEqual([...loadPaddleParams(tarPath).keys()], ['conv1_offset', 'conv1_weights']);
    throwsUser(() => loadPaddleParams(tarPath, { names: ['fc_weights'] }), /Tiny_pretrained.tar: 1 variable file\(s\) missing: fc_weights/);
    // corrupt tar: truncated inside a member, and a bad checksum
    const full = readFileSync(tarPath);
    writeFileSync(join(root, 'cut.tar'), full.subarray(0, 1024 + 100));
    throwsUser(() => loadPaddleParams(join(root, 'cut.tar')), /cut.tar: truncated tar archive: member at byte 512 declares 318 bytes but only 100 remain/);
    const bad = Uint8Array.from(full);
    bad[600] = 0x41;
    writeFileSync(join(root, 'bad.tar'), bad);
    throwsUser(() => loadPaddleParams(join(root, 'bad.tar')), /bad.tar: corrupt tar archive \(bad header checksum at byte 512\)/);
    // a corrupt member names archive:member and tensor
    const corrupt = handTar([['Tiny_pretrained/conv1_weights', encodePaddleTensor(w).subarray(0, 40)]]);
    writeFileSync(join(root, 'c.tar'), corrupt);
    throwsUser(() => loadPaddleParams(join(root, 'c.tar')), /c.tar:Tiny_pretrained\/conv1_weights: tensor 'conv1_weights': dims \[4, 2, 3, 3\]/);

    // the system tar, GNU format, with a variable name longer than 100 bytes
    const srcDir = join(root, 'src');
    const longName = 'x'.repeat(120) + '_weights';
    savePaddleParams(join(srcDir, 'Long_pretrained'), new Map([[longName, w], ['fc_0.b_0', b]]));
    const sys = spawnSync('tar', ['--format=gnu', '-cf', join(root, 'sys.tar'), '-C', srcDir, 'Long_pretrained'], { encoding: 'utf8' });
    if (!sys.error) {
      assert.equal(sys.status, 0, sys.stderr);
      const g = loadPaddleParams(join(root, 'sys.tar'));
      assert.deepEqual([...g.keys()].sort(), ['fc_0.b_0', longName]);
      assert.deepEqual(g.get(longName)!.values, w.values);
      const pax = spawnSync('tar', ['--format=pax', '-cf', join(root, 'pax.tar'), '-C', srcDir, 'Long_pretrained'], { encoding: 'utf8' });
      assert.equal(pax.status, 0);
      assert.deepEqual([...loadPaddleParams(join(root, 'pax.tar')).keys()].sort(), ['fc_0.b_0', longName]);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('combined params file: written and split in sorted-name order', () => {
  const root = tmp();
  try {
    const sd = new Map([
      ['conv1_weights', tensor(randomArray(2 * 1 * 3 * 3, 9), [2, 1, 3, 3])],
      ['bn_conv1_scale', tensor([1, 2], [2])],
      ['fc_0.w_0', tensor(randomArray(2 * 3, 10), [2, 3])],
      ['Z_upper', tensor([9], [1])], // 'Z' < 'b' in code-point order
    ]);
    assert.deepEqual(sortedParamNames(sd.keys()), ['Z_upper', 'bn_conv1_scale', 'conv1_weights', 'fc_0.w_0']);
    const bytes = encodeCombinedParams(sd);
    // the first record is Z_upper's: FP32 [1] with value 9
    assert.deepEqual(decodePaddleTensor(bytes.subarray(0, 20 + 4 + 4), 'Z_upper').values, Float32Array.from([9]));
    const split = splitCombinedParams(bytes, ['fc_0.w_0', 'conv1_weights', 'Z_upper', 'bn_conv1_scale'], { conv1_weights: [2, 1, 3, 3] });
    for (const [k, t] of sd) assert.deepEqual(split.get(k)!.values, t.values, k);
    const path = join(root, 'params');
    saveCombinedParams(path, sd);
    const fromFile = loadPaddleParams(path, { names: [...sd.keys()] });
    assert.deepEqual(fromFile.get('fc_0.w_0')!.values, sd.get('fc_0.w_0')!.values);
    // wrong names: a missing variable leaves bytes, an extra one runs off the end, a wrong shape is named
    throwsUser(() => loadPaddleParams(path, { names: ['Z_upper', 'bn_conv1_scale', 'conv1_weights'] }), /bytes left after the 3 expected variables/);
    throwsUser(() => loadPaddleParams(path, { names: [...sd.keys(), 'zz_extra'] }), /tensor 'zz_extra': empty/);
    throwsUser(() => loadPaddleParams(path, { shapes: { Z_upper: [1], bn_conv1_scale: [2], conv1_weights: [2, 1, 3, 3], 'fc_0.w_0': [3, 2] } }), /combined, at byte \d+\): tensor 'fc_0.w_0' has dims \[2, 3\] but the model expects \[3, 2\]/);
    throwsUser(() => loadPaddleParams(path), /a combined params file has no variable names/);
    writeFileSync(join(root, 'x.tar.gz'), Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]));
    throwsUser(() => loadPaddleParams(join(root, 'x.tar.gz')), /x.tar.gz: gzip-compressed/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
