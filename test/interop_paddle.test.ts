// Paddle interop: export --format paddle then import --from paddle gives identical tensors, from
// the per-variable directory, a .tar of it and a combined params file; safetensors export keeps
// the metadata; weights for another model are refused with one UserError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { saveCombinedParams } from '../src/io/paddle.js';
import { loadSafetensors, readSafetensors, saveSafetensors } from '../src/io/safetensors.js';
import { createModel } from '../src/models/index.js';
import { runExport } from '../src/programs/export.js';
import { runImport } from '../src/programs/import.js';
import { UserError } from '../src/util/errors.js';
import { fillParityWeights } from './helpers/parity_weights.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'imcls-interop-'));
}

function assertSameTensors(a: ReadonlyMap<string, { shape: readonly number[]; values: Float32Array }>, b: ReadonlyMap<string, { shape: readonly number[]; values: Float32Array }>): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, t] of a) {
    const u = b.get(name)!;
    assert.deepEqual([...u.shape], [...t.shape], name);
    assert.ok(Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength).equals(Buffer.from(u.values.buffer, u.values.byteOffset, u.values.byteLength)), `${name}: bytes differ`);
  }
}

test('paddle round trip: export --format paddle, import --from paddle (dir, tar, combined) give identical tensors', () => {
  const dir = tmp();
  try {
    const model = createModel('MobileNetV2_x0_25', { classDim: 7, initialize: false });
    fillParityWeights(model);
    const state = model.stateDict();
    const src = join(dir, 'src.safetensors');
    saveSafetensors(src, state, { imcls: JSON.stringify({ model: 'MobileNetV2_x0_25', class_dim: 7 }) });

    const paddleDir = join(dir, 'paddle_params');
    const r = runExport({ format: 'paddle', model: 'MobileNetV2_x0_25', pretrainedModel: src, classDim: null, output: paddleDir });
    assert.equal(r.classDim, 7, 'class_dim from the metadata');
    assert.equal(readdirSync(paddleDir).length, state.size, 'one file per variable');
    const back = join(dir, 'back.safetensors');
    const imp = runImport({ from: 'paddle', model: 'MobileNetV2_x0_25', input: paddleDir, output: back });
    assert.equal(imp.classDim, 7, 'class_dim from the shapes');
    assertSameTensors(state, loadSafetensors(back));
    const m = JSON.parse(readSafetensors(back).metadata!['imcls']!) as { model: string; class_dim: number };
    assert.equal(m.model, 'MobileNetV2_x0_25');
    assert.equal(m.class_dim, 7);

    // a .tar of the directory
    const tar = join(dir, 'params.tar');
    const t = spawnSync('tar', ['-cf', tar, '-C', dir, 'paddle_params'], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
    const back2 = join(dir, 'back2.safetensors');
    runImport({ from: 'paddle', model: 'MobileNetV2_x0_25', input: tar, output: back2 });
    assertSameTensors(state, loadSafetensors(back2));

    // a combined params file (split by the model's sorted names with its shapes)
    const combined = join(dir, 'params');
    saveCombinedParams(combined, state);
    const back3 = join(dir, 'back3.safetensors');
    runImport({ from: 'paddle', model: 'MobileNetV2_x0_25', input: combined, output: back3, classDim: 7 });
    assertSameTensors(state, loadSafetensors(back3));

    // export --format safetensors keeps the weights and the metadata
    const st = join(dir, 'exported.safetensors');
    runExport({ format: 'safetensors', model: 'MobileNetV2_x0_25', pretrainedModel: src, classDim: null, output: st });
    assertSameTensors(state, loadSafetensors(st));
    assert.equal((JSON.parse(readSafetensors(st).metadata!['imcls']!) as { class_dim: number }).class_dim, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import refuses weights of another model with one UserError and writes nothing', () => {
  const dir = tmp();
  try {
    const paddleDir = join(dir, 'r18');
    runExport({ format: 'paddle', model: 'ResNet18', pretrainedModel: null, classDim: 5, output: paddleDir });
    const out = join(dir, 'x.safetensors');
    assert.throws(() => runImport({ from: 'paddle', model: 'ResNet34', input: paddleDir, output: out }), (e: unknown) => e instanceof UserError && !e.message.includes('\n'));
    assert.equal(readdirSync(dir).includes('x.safetensors'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
