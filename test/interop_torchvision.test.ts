// torchvision ResNet50 import parity: the same parity-formula weights that
// tools/make_torchvision_parity.py put into torchvision's resnet50 (k = index in torchvision's
// state-dict order) are written here as a safetensors file with torchvision's names, imported
// with `imcls import --from torchvision`, loaded into our ResNet50 and run on the two parity images;
// the logits must match torchvision's (fixture) within 1e-4 of the largest logit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveSafetensors } from '../src/io/safetensors.js';
import { createModel } from '../src/models/index.js';
import { loadExact, readWeights } from '../src/programs/weights.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { inputDependence, parityInput, relativeError } from './helpers/parity_weights.js';
import { torchLayoutTensors, type TorchKey } from './helpers/torch_layout.js';

interface Fixture {
  input_shape: number[];
  keys: TorchKey[];
  /** [image a, image b] */
  logits: number[][];
}

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/torchvision_resnet50_logits.json', import.meta.url), 'utf8')) as Fixture;

/** The fixture's weights with torchvision names and layouts. */
const torchvisionTensors = (): Map<string, Tensor> => torchLayoutTensors(fixture.keys);

test('torchvision resnet50 weights import into ResNet50 and reproduce torchvision logits', () => {
  assert.equal(fixture.keys.length, 267);
  const dir = mkdtempSync(join(tmpdir(), 'imcls-tv-'));
  try {
    const src = join(dir, 'resnet50_torchvision.safetensors');
    saveSafetensors(src, torchvisionTensors());
    const out = join(dir, 'ResNet50.safetensors');
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const r = spawnSync(process.execPath, [cli, 'import', '--from', 'torchvision', '--model', 'ResNet50', '--input', src, '--output', out], { encoding: 'utf8', env: process.env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /imported ResNet50 \(class_dim 1000, 267 tensors\)/);
    const model = createModel('ResNet50', { initialize: false });
    loadExact(model, readWeights(out), 'ResNet50');
    model.eval();
    const logits = noGrad(() => model.forward(parityInput(fixture.input_shape))).values;
    const torch = fixture.logits.flat();
    assert.equal(logits.length, torch.length);
    assert.ok(inputDependence(torch) > 0.01, 'the reference logits depend on the image');
    const rel = relativeError(logits, torch);
    assert.ok(rel < 1e-4, `max |ours - torchvision| / max |torchvision| = ${rel}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import --from torchvision refuses a state dict with a missing key, in one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imcls-tv-'));
  try {
    const t = torchvisionTensors();
    t.delete('layer1.0.conv1.weight');
    const src = join(dir, 'broken.safetensors');
    saveSafetensors(src, t);
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const r = spawnSync(process.execPath, [cli, 'import', '--from', 'torchvision', '--model', 'ResNet50', '--input', src, '--output', join(dir, 'o.safetensors')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /layer1\.0\.conv1\.weight/);
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('imcls:')).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
