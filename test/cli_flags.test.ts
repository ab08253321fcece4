import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../src/cli/flags.js';
import { trainFlags } from '../src/programs/train_flags.js';
import { UserError } from '../src/util/errors.js';

const parse = (argv: string[]) => parseFlags(argv, trainFlags, 'train');

test('Paddle spellings: =value, space value, strtobool, nargs lists, comma shapes', () => {
  const r = parse(['--model=ResNet18', '--batch_size', '32', '--use_mixup=True', '--step_epochs', '30', '60', '90',
    '--image_shape', '3,32,32', '--lr', '0.05', '--use_label_smoothing', 'false']);
  assert.equal(r.values['model'], 'ResNet18');
  assert.equal(r.values['batch_size'], 32);
  assert.equal(r.values['use_mixup'], true);
  assert.deepEqual(r.values['step_epochs'], [30, 60, 90]);
  assert.deepEqual(r.values['image_shape'], [3, 32, 32]);
  assert.equal(r.values['lr'], 0.05);
  assert.equal(r.values['use_label_smoothing'], false);
  assert.ok(r.explicit.has('lr') && !r.explicit.has('num_epochs'));
  assert.equal(r.values['num_epochs'], 120);
});

test('kebab-case, space-separated shape and bare booleans', () => {
  const r = parse(['--batch-size=4', '--image-shape', '3', '224', '224', '--use_mixup', '--lr=0.1']);
  assert.equal(r.values['batch_size'], 4);
  assert.deepEqual(r.values['image_shape'], [3, 224, 224]);
  assert.equal(r.values['use_mixup'], true);
});

test('bad input gives one line naming the flag', () => {
  assert.throws(() => parse(['--batch_size=-3']), (e: Error) => e instanceof UserError && /--batch_size: must be at least 1/.test(e.message));
  assert.throws(() => parse(['--batch_size=abc']), /--batch_size: expected an integer, got 'abc'/);
  assert.throws(() => parse(['--use_mixup=maybe']), /--use_mixup: expected a boolean/);
  assert.throws(() => parse(['--lr_strategy=cosine']), /--lr_strategy: 'cosine' is not one of/);
  assert.throws(() => parse(['--bacth_size=3']), /unknown flag --bacth_size \(did you mean --batch_size\?\)/);
  assert.throws(() => parse(['--model']), /--model: missing value/);
});

test('use_gpu is accepted with a note', () => {
  const r = parse(['--use_gpu=True']);
  assert.equal(r.notes.length, 1);
  assert.match(r.notes[0]!, /CPU/);
});
