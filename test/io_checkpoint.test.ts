import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tensor, intTensor } from '../src/tensor/tensor.js';
import { UserError } from '../src/util/errors.js';
import { checkpointDir, checkpointProblem, latestCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointContents } from '../src/io/checkpoint.js';
import { removeStaleTemps, writeFileAtomic } from '../src/io/atomic.js';
import { randomArray } from './helpers/random.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'imcls-ck-'));
}

function contents(epoch: number): CheckpointContents {
  return {
    model: new Map([
      ['conv1_weights', tensor(randomArray(4 * 3 * 3 * 3, epoch + 1), [4, 3, 3, 3])],
      ['fc_0.w_0', tensor(randomArray(4 * 10, epoch + 2), [4, 10])],
    ]),
    optimizer: new Map([
      ['conv1_weights_velocity_0', tensor(randomArray(4 * 3 * 3 * 3, epoch + 3), [4, 3, 3, 3])],
      ['@LR_DECAY_COUNTER@', intTensor([100 * (epoch + 1)], [1])],
    ]),
    state: {
      model: 'ResNet50',
      epoch,
      step: 100 * (epoch + 1),
      lr: { schedule: 'piecewise_decay', position: 100 * (epoch + 1), value: 0.1 },
      rng: { seed: 7, state: [1, 2, 3, 4] },
      args: { model: 'ResNet50', batch_size: 32, lr: 0.1 },
      preprocessing: { resize_short: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], interpolation: 'bilinear' },
    },
  };
}

function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

test('round trip: tensors, optimizer state and state.json; latestCheckpoint picks the highest complete epoch', () => {
  const root = tmp();
  try {
    const modelDir = join(root, 'ResNet50');
    for (const e of [0, 1, 2]) saveCheckpoint(checkpointDir(root, 'ResNet50', e), contents(e));
    assert.deepEqual(readdirSync(modelDir).sort(), ['0', '1', '2']); // no temp dirs left
    assert.deepEqual(readdirSync(join(modelDir, '2')).sort(), ['COMPLETE', 'model.safetensors', 'optimizer.safetensors', 'state.json']);
    const latest = latestCheckpoint(modelDir);
    assert.deepEqual(latest, { dir: join(modelDir, '2'), epoch: 2 });
    const ck = loadCheckpoint(latest!.dir);
    const want = contents(2);
    assert.deepEqual(ck.state, want.state);
    assert.deepEqual(ck.model.get('fc_0.w_0')!.values, (want.model as Map<string, ReturnType<typeof tensor>>).get('fc_0.w_0')!.values);
    assert.equal(ck.optimizer.get('@LR_DECAY_COUNTER@')!.item(), 300);
    // overwriting an epoch replaces it atomically
    const c = contents(5);
    c.state.epoch = 2;
    saveCheckpoint(join(modelDir, '2'), c);
    assert.equal(loadCheckpoint(join(modelDir, '2')).state.step, 600);
    assert.deepEqual(readdirSync(modelDir).sort(), ['0', '1', '2']);
    assert.equal(latestCheckpoint(join(root, 'nothing')), null);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a crash between files never leaves a checkpoint that looks complete', () => {
  const root = tmp();
  try {
    const modelDir = join(root, 'ResNet50');
    saveCheckpoint(join(modelDir, '0'), contents(0));
    // in-process failure after the first file: nothing appears, the temp dir is removed
    assert.throws(() => saveCheckpoint(join(modelDir, '1'), contents(1), { afterFile: (f) => { if (f === 'model.safetensors') throw new Error('disk full'); } }), /disk full/);
    assert.deepEqual(readdirSync(modelDir), ['0']);
    // a real crash (SIGKILL) after the optimizer file, in a child process
    const here = fileURLToPath(import.meta.url);
    const mod = pathToFileURL(resolve(here, '../../src/io/checkpoint.js')).href;
    const script = `
      import { saveCheckpoint } from ${JSON.stringify(mod)};
      const t = { shape: [2], data: new Float32Array([1, 2]) };
      saveCheckpoint(${JSON.stringify(join(modelDir, '1'))}, { model: [{ name: 'w', ...t }], optimizer: [{ name: 'v', ...t }], state: { epoch: 1, step: 9 } },
        { afterFile: (f) => { if (f === 'optimizer.safetensors') process.kill(process.pid, 'SIGKILL'); } });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    assert.ok(!existsSync(join(modelDir, '1')), 'the interrupted epoch must not exist under its final name');
    assert.ok(readdirSync(modelDir).some((n) => n.startsWith('.1.tmp-')), 'the crash left its temp dir behind');
    assert.deepEqual(latestCheckpoint(modelDir)?.epoch, 0);
    const stale = removeStaleTemps(modelDir); // the crashed writer is gone: its temp dir can go
    assert.equal(stale.length, 1);
    assert.match(stale[0]!, /^\.1\.tmp-\d+-[0-9a-f]{8}$/);
    assert.deepEqual(readdirSync(modelDir), ['0']);
    // a crash while replacing epoch 0 (old moved aside, new not yet renamed in): cleanup puts it back
    renameSync(join(modelDir, '0'), join(modelDir, `.0.old-${r.pid}-0123abcd`));
    assert.equal(latestCheckpoint(modelDir), null);
    assert.deepEqual(removeStaleTemps(modelDir), [`.0.old-${r.pid}-0123abcd`]);
    assert.equal(latestCheckpoint(modelDir)?.epoch, 0);
    // a directory written by something else without the marker (or half-copied) is refused
    const partial = join(modelDir, '7');
    saveCheckpoint(partial, contents(7));
    rmSync(join(partial, 'COMPLETE'));
    throwsUser(() => loadCheckpoint(partial), /7: incomplete checkpoint \(no COMPLETE marker/);
    assert.equal(latestCheckpoint(modelDir)?.epoch, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the loader names the file that is wrong', () => {
  const root = tmp();
  try {
    const dir = join(root, 'm', '3');
    const fresh = (): void => saveCheckpoint(dir, contents(3));
    fresh();
    assert.equal(checkpointProblem(dir), null);
    // truncated model file: the size recorded in the marker disagrees
    truncateSync(join(dir, 'model.safetensors'), statSync(join(dir, 'model.safetensors')).size - 10);
    throwsUser(() => loadCheckpoint(dir), /model.safetensors: \d+ bytes, but the checkpoint recorded \d+ \(truncated or modified\)/);
    fresh();
    rmSync(join(dir, 'optimizer.safetensors'));
    throwsUser(() => loadCheckpoint(dir), /optimizer.safetensors: missing from the checkpoint/);
    fresh();
    // corrupt bytes of the same size: the safetensors validation names the file
    const p = join(dir, 'optimizer.safetensors');
    const b = readFileSync(p);
    b.writeBigUint64LE(1n << 40n, 0);
    writeFileSync(p, b);
    throwsUser(() => loadCheckpoint(dir), /optimizer.safetensors: .*header length/);
    fresh();
    // state.json with a bad field (same length so the size check passes)
    const sp = join(dir, 'state.json');
    const s = readFileSync(sp, 'utf8').replace('"step": 400', '"step": -40');
    writeFileSync(sp, s);
    throwsUser(() => loadCheckpoint(dir), /state.json: "step" must be a non-negative integer, got -40/);
    throwsUser(() => loadCheckpoint(join(root, 'm', '9')), /no such checkpoint directory/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('writeFileAtomic leaves the old file intact when the writer fails', () => {
  const root = tmp();
  try {
    const p = join(root, 'f.bin');
    writeFileAtomic(p, 'old contents');
    assert.throws(() => writeFileAtomic(p, (sink) => { sink.write(new Uint8Array(100)); throw new Error('interrupted'); }), /interrupted/);
    assert.equal(readFileSync(p, 'utf8'), 'old contents');
    assert.deepEqual(readdirSync(root), ['f.bin']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
