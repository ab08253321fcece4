// The time-to-accuracy bench reads `imcls train`'s own log lines and passes the demo recipe as
// flags: both must stay in step with the trainer's formats and flag parser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseEndPass, trainArgsToFlags } from '../bench/tta.js';
import { endPassLine } from '../src/programs/train_log.js';
import { demoTrainArgs } from '../src/programs/demo.js';
import { parseFlags } from '../src/cli/flags.js';
import { trainFlags } from '../src/programs/train_flags.js';

test('parseEndPass reads the epoch and test top-1 from the trainer\'s [End pass] line', () => {
  const line = endPassLine({ pass: 3, trainLoss: 0.5, trainAcc1: 0.8, trainAcc5: 0.99, testLoss: 0.3, testAcc1: 0.9123, testAcc5: 0.998 });
  assert.deepEqual(parseEndPass(line), [3, 0.9123]);
  assert.equal(parseEndPass('[Pass 3, test  batch 0] \tloss 0.1, acc1 0.95000'), null);
});

test('the demo recipe round-trips through imcls train\'s flag parser', () => {
  const recipe = demoTrainArgs({ data: null, workDir: '/tmp/w', model: 'ResNet18', epochs: 3, batchSize: 128, lr: 0.1, threads: 2 }, '/tmp/w/data');
  const parsed = parseFlags(trainArgsToFlags(recipe), trainFlags, 'train').values;
  for (const [k, v] of Object.entries(recipe)) {
    const got = parsed[k];
    if (Array.isArray(v)) assert.deepEqual((got as number[]).map((x) => Number(x.toFixed(6))), v.map((x) => Number((x as number).toFixed(6))), k);
    else assert.equal(got, v, k);
  }
});
