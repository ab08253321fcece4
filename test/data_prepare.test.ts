import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDataset, isCompleteOutput } from '../src/programs/prepare.js';
import { readSeedList, readLabelList } from '../src/data/file_list.js';
import { readIdxDataset } from '../src/data/idx.js';
import { decodeImage } from '../src/data/decode.js';
import { UserError } from '../src/util/errors.js';

const SRC = '/usr/share/datasets/fashion-mnist';
const present = existsSync(join(SRC, 'train-images-idx3-ubyte.gz'));

test('prepare fashion-mnist: 60000 + 10000 lines, images round-trip to the IDX pixels, second run skips', { skip: present ? false : `${SRC} is absent (Debian package dataset-fashion-mnist; .ci/run installs it)` }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'imcls-prepare-'));
  try {
    const r = await prepareDataset({ dataset: 'fashion-mnist', out });
    assert.equal(r.alreadyComplete, false);
    assert.equal(r.train, 60000);
    assert.equal(r.val, 10000);
    const train = readSeedList(out, 'train', { classDim: 10, checkFiles: false });
    const val = readSeedList(out, 'val', { classDim: 10 });
    assert.equal(train.paths.length, 60000);
    assert.equal(val.paths.length, 10000);
    assert.deepEqual(readLabelList(join(out, 'label_list.txt')), ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    const idxTrain = readIdxDataset(join(SRC, 'train-images-idx3-ubyte.gz'), join(SRC, 'train-labels-idx1-ubyte.gz'));
    const idxVal = readIdxDataset(join(SRC, 't10k-images-idx3-ubyte.gz'), join(SRC, 't10k-labels-idx1-ubyte.gz'));
    assert.deepEqual(train.labels, idxTrain.labels);
    assert.deepEqual(val.labels, idxVal.labels);
    const sample: Array<['train' | 'val', number]> = [];
    for (const i of [0, 1, 777, 12345, 31337, 59999]) sample.push(['train', i]);
    for (const i of [0, 4242, 9999]) sample.push(['val', i]);
    for (const [split, i] of sample) {
      const ds = split === 'train' ? train : val;
      const ref = split === 'train' ? idxTrain : idxVal;
      const img = await decodeImage(readFileSync(ds.paths[i]!), { channels: 1 });
      assert.equal(img.width, 28);
      assert.equal(img.height, 28);
      assert.deepEqual(Buffer.from(img.data), Buffer.from(ref.pixels.subarray(i * 784, (i + 1) * 784)), `${split} ${i}`);
    }
    assert.notEqual(isCompleteOutput(out, 'fashion-mnist'), null);
    const again = await prepareDataset({ dataset: 'fashion-mnist', out });
    assert.equal(again.alreadyComplete, true);
    assert.equal(again.train, 60000);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('prepare: bad arguments are user errors', async () => {
  await assert.rejects(prepareDataset({ dataset: 'imagenet', out: '/tmp/x' }), (e: unknown) => e instanceof UserError && /unknown dataset 'imagenet'/.test((e as Error).message));
  await assert.rejects(prepareDataset({ dataset: 'mnist', out: '/tmp/x' }), /--src DIR is required/);
  await assert.rejects(prepareDataset({ dataset: 'cifar10', src: '/nonexistent/dir', out: '/tmp/x' }), /--src: \/nonexistent\/dir is not a directory/);
});
