// `imcls models [--json]`: the JSON listing covers every manifest model with the documented fields, the table
// prints one row per match, and an unmatched pattern is a one-line user error (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { manifestNames } from './helpers/manifest.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, IMCLS_BACKEND: 'reference' } });

test('imcls models --json: every model with name, aliases, params, macs, input_size, resize_short, top1, top5', () => {
  const r = run(['models', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(rows.map((x) => x['name']).sort(), manifestNames().sort());
  for (const row of rows) assert.deepEqual(Object.keys(row), ['name', 'aliases', 'params', 'macs', 'input_size', 'resize_short', 'top1', 'top5']);
  const r50 = rows.find((x) => x['name'] === 'ResNet50')!;
  assert.equal(r50['params'], 25557032);
  assert.deepEqual(r50['input_size'], [3, 224, 224]);
  assert.equal(r50['resize_short'], 256);
  assert.equal(r50['top1'], 76.5);
  assert.equal(r50['top5'], 93);
  const x41 = rows.find((x) => x['name'] === 'Xception41')!;
  assert.deepEqual(x41['input_size'], [3, 299, 299]);
  assert.equal(x41['resize_short'], 320);
  assert.ok((x41['aliases'] as string[]).includes('Xception_41'));
});

test('imcls models <pattern>: a table row per match; no match exits 2 with one line', () => {
  const r = run(['models', 'DenseNet']);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((l) => /^DenseNet\d+\s/.test(l));
  assert.equal(rows.length, 5);
  assert.match(rows[0]!, /^DenseNet121\s+7\.98M\s+2\.83\s+3x224x224\s+256\s+75\.66\s+92\.58/);
  const bad = run(['models', 'NoSuchNet']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});
