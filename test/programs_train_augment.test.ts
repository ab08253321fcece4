// The augmentation flags of `imcls train` (rotate, color_jitter, crop_mode, upper_scale,
// random_flip, use_cutmix): each one validated with one clear line, and each one reaching the
// training transform — the first logged loss of a 2-step run equals the loss recomputed here from
// a fresh model and a loader built with that option by hand, and differs from the default run's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { train } from '../src/programs/train.js';
import { resolveTrainArgs, type TrainArgs } from '../src/programs/train_args.js';
import { trainAugmentation } from '../src/programs/train_augment.js';
import { resolvePreprocess } from '../src/programs/preprocess.js';
import { trainTransform, type TransformConfig } from '../src/data/transforms.js';
import type { MixSpec } from '../src/data/targets.js';
import { DataLoader } from '../src/data/loader.js';
import { readSeedList } from '../src/data/file_list.js';
import { createModel } from '../src/models/index.js';
import { manualSeed } from '../src/nn/random.js';
import { add, crossEntropy, scale } from '../src/tensor/ops/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { UserError } from '../src/util/errors.js';
import { writeTinyDataset } from './helpers/tiny_dataset.js';

const root = mkdtempSync(join(tmpdir(), 'imcls-augflags-'));
after(() => rmSync(root, { recursive: true, force: true }));
const data = join(root, 'data');
const quiet = { log: (_l: string) => {} };
const MODEL = 'MobileNetV1_x0_25';

const base = (dir: string, over: Partial<TrainArgs> = {}): Partial<TrainArgs> => ({
  model: MODEL, data_dir: data, class_dim: 4, image_shape: [3, 32, 32], resize_short_size: 32,
  batch_size: 8, num_epochs: 1, max_iter: 2, lr: 0.02, lr_strategy: 'constant', validate: false,
  lower_scale: 0.5, reader_thread: 1, model_save_dir: dir, print_step: 1, random_seed: 3, ...over,
});

before(async () => {
  await writeTinyDataset(data, { size: 40 });
});

/** The first training batch's loss for a fresh model and the given transform/mixing, as train() computes it. */
async function firstLoss(over: Partial<TrainArgs>, transformOver: Partial<TransformConfig>, mix: MixSpec | null): Promise<number> {
  const { args, explicit } = resolveTrainArgs(base(root, over));
  const prep = resolvePreprocess(MODEL, args, explicit, null);
  manualSeed(args.random_seed);
  const model = createModel(MODEL, { classDim: 4 });
  model.train();
  const loader = new DataLoader({
    dataset: readSeedList(data, 'train', { classDim: 4 }),
    transform: trainTransform(prep.pre, { cropScale: { scale: [0.5, 1], ratio: [3 / 4, 4 / 3] }, ...transformOver, size: 32, channels: 3 }),
    batchSize: 8, shuffle: true, dropLast: true, seed: args.random_seed, workers: 0, mix,
  });
  try {
    for await (const b of loader.epoch(0)) {
      const logits = model.forward(b.images) as Tensor;
      const loss = b.labelsB === null ? crossEntropy(logits, b.labels) : add(scale(crossEntropy(logits, b.labels), b.lam), scale(crossEntropy(logits, b.labelsB), 1 - b.lam));
      return (await loss.data())[0]!;
    }
  } finally {
    await loader.close();
  }
  throw new Error('no batch');
}

function loggedLosses(metricsPath: string): Array<{ loss: number; acc1: number | null }> {
  return readFileSync(metricsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; loss: number; acc1: number | null }).filter((r) => r.kind === 'train_batch');
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

test('each augmentation flag reaches the training transform (first-step loss recomputed by hand)', async () => {
  const cases: Array<{ name: string; over: Partial<TrainArgs>; tf: Partial<TransformConfig>; mix?: MixSpec }> = [
    { name: 'default', over: {}, tf: {} },
    { name: 'rotate', over: { rotate: true }, tf: { rotate: true } },
    { name: 'color_jitter', over: { color_jitter: [0.4, 0.4, 0.4, 0.1] }, tf: { colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 } } },
    { name: 'crop_mode', over: { crop_mode: 'torchvision' }, tf: { randomCrop: 'torchvision' } },
    { name: 'upper_scale', over: { upper_scale: 0.6 }, tf: { cropScale: { scale: [0.5, 0.6], ratio: [3 / 4, 4 / 3] } } },
    { name: 'random_flip', over: { random_flip: false }, tf: { flip: false } },
    { name: 'use_cutmix', over: { use_cutmix: true, cutmix_alpha: 1.0 }, tf: {}, mix: { kind: 'cutmix', alpha: 1.0 } },
  ];
  const first = new Map<string, number>();
  for (const c of cases) {
    const r = await train(base(join(root, c.name), c.over), quiet);
    assert.equal(r.steps, 2, c.name);
    const logged = loggedLosses(r.metricsPath);
    assert.equal(logged.length, 2, c.name);
    assert.ok(logged.every((l) => Number.isFinite(l.loss)), `${c.name}: finite losses`);
    const want = await firstLoss(c.over, c.tf, c.mix ?? null);
    assert.ok(close(logged[0]!.loss, want), `${c.name}: logged first loss ${logged[0]!.loss} vs recomputed ${want}`);
    // CutMix batches have two label sets: no training accuracy, as with mixup.
    assert.equal(logged[0]!.acc1 === null, c.mix !== undefined, `${c.name}: acc1 ${logged[0]!.acc1}`);
    first.set(c.name, logged[0]!.loss);
  }
  for (const c of cases.slice(1)) assert.notEqual(first.get(c.name), first.get('default'), `${c.name} changed nothing`);
});

test('augmentation flags map onto the transform and mixing options', () => {
  const { args } = resolveTrainArgs({ rotate: true, color_jitter: [0.2, 0, 0.3, 0.05], crop_mode: 'torchvision', upper_scale: 0.9, lower_scale: 0.2, random_flip: false, use_cutmix: true, cutmix_alpha: 0.5 });
  const a = trainAugmentation(args);
  assert.deepEqual(a.transform, {
    cropScale: { scale: [0.2, 0.9], ratio: [3 / 4, 4 / 3] }, randomCrop: 'torchvision', rotate: true,
    colorJitter: { brightness: 0.2, contrast: 0, saturation: 0.3, hue: 0.05 }, flip: false,
  });
  assert.deepEqual(a.mix, { kind: 'cutmix', alpha: 0.5 });
  const d = trainAugmentation(resolveTrainArgs({}).args);
  assert.deepEqual(d.transform, { cropScale: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }, randomCrop: 'paddle', rotate: false, colorJitter: null, flip: true });
  assert.equal(d.mix, null);
  assert.deepEqual(trainAugmentation(resolveTrainArgs({ use_mixup: true }).args).mix, { kind: 'mixup', alpha: 0.2 });
  // All-zero jitter is no jitter.
  assert.equal(trainAugmentation(resolveTrainArgs({ color_jitter: [0, 0, 0, 0] }).args).transform.colorJitter, null);
});

test('bad augmentation values through the API: a UserError naming the flag', () => {
  const bad: Array<[Partial<TrainArgs>, RegExp]> = [
    [{ color_jitter: [0.4, 0.4] }, /--color_jitter: expected 4 values/],
    [{ color_jitter: [0.4, 0.4, 0.4, 0.7] }, /--color_jitter: hue must be at most 0.5/],
    [{ color_jitter: [0.4, -1, 0.4, 0.1] }, /--color_jitter: values must be non-negative/],
    [{ use_cutmix: true, use_mixup: true }, /--use_cutmix: cannot be combined with --use_mixup/],
    [{ upper_scale: 1.5 }, /--upper_scale: must be in \(0, 1\]/],
    [{ lower_scale: 0.9, upper_scale: 0.5 }, /--lower_scale: must be in \[0, upper_scale=0.5\]/],
    [{ lower_ratio: 1.5, upper_ratio: 1.2 }, /--upper_ratio: must be at least lower_ratio/],
    [{ crop_mode: 'timm' as 'paddle' }, /--crop_mode: must be paddle or torchvision/],
    [{ cutmix_alpha: -1 }, /--cutmix_alpha: must be at least 0/],
  ];
  for (const [over, re] of bad) {
    assert.throws(() => trainAugmentation(resolveTrainArgs(over).args), (e: unknown) => e instanceof UserError && re.test(e.message), JSON.stringify(over));
  }
});

test('bad augmentation flags on the command line: one line, non-zero exit; the help lists them', () => {
  const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
  const cases: Array<[string[], RegExp]> = [
    [['--color_jitter=0.4,0.4'], /--color_jitter: expected 4 values/],
    [['--use_cutmix=True', '--use_mixup=True'], /--use_cutmix: cannot be combined with --use_mixup/],
    [['--crop_mode=timm'], /--crop_mode/],
    [['--rotate=sideways'], /--rotate: expected a boolean/],
  ];
  for (const [flags, re] of cases) {
    const r = spawnSync(process.execPath, [cli, 'train', `--model=${MODEL}`, `--data_dir=${data}`, '--class_dim=4', ...flags], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, flags.join(' '));
    assert.match(r.stderr, re, `${flags.join(' ')} -> ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  const help = spawnSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' });
  for (const f of ['--rotate', '--color_jitter', '--crop_mode', '--upper_scale', '--random_flip', '--use_cutmix', '--cutmix_alpha']) assert.ok((help.stdout + help.stderr).includes(f), `help lists ${f}`);
});
