// `imcls prepare <dataset>`: converts raw dataset files (IDX, CIFAR binary batches) into the seed's
// layout — PNG images, train_list.txt, val_list.txt and label_list.txt (`<id> <name>`) — so every
// later command reads them like ImageNet. Images are written with a direct PNG encoder
// (stored deflate blocks, no compressor call); a marker written last makes a complete output recognisable, and a second run skips it.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { readCifarDataset } from '../data/cifar.js';
import type { PixelDataset } from '../data/dataset.js';
import { formatLabelList } from '../data/file_list.js';
import { readIdxDataset } from '../data/idx.js';
import { encodePng } from '../data/png.js';

export const PREPARABLE = ['fashion-mnist', 'mnist', 'cifar10'] as const;
export type PreparableDataset = (typeof PREPARABLE)[number];

export const DEFAULT_SOURCES: Partial<Record<PreparableDataset, string>> = {
  'fashion-mnist': '/usr/share/datasets/fashion-mnist',
};

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const MARKER = '.imcls_prepared.json';
const FORMAT_VERSION = 1;

export interface PrepareOptions {
  dataset: string;
  src?: string | null;
  out: string;
  /** Rewrite even if the output is already complete. */
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface PrepareReport {
  dataset: PreparableDataset;
  out: string;
  train: number;
  val: number;
  classes: number;
  /** True when a complete earlier output was found and nothing was written. */
  alreadyComplete: boolean;
  seconds: number;
}

interface Marker {
  version: number;
  dataset: string;
  train: number;
  val: number;
}

function findIdx(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`, base.replace(/-idx(\d)-/, '.idx$1-')]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new UserError(`--src: ${dir} has no ${base}[.gz]`);
}

function loadSplits(name: PreparableDataset, src: string): { train: PixelDataset; val: PixelDataset; classes: string[] } {
  if (name === 'cifar10') {
    const train = readCifarDataset(src, 'cifar10', 'train');
    const val = readCifarDataset(src, 'cifar10', 'test');
    return { train, val, classes: train.classNames ? [...train.classNames] : CIFAR10_CLASSES };
  }
  const classes = name === 'mnist' ? MNIST_CLASSES : FASHION_MNIST_CLASSES;
  return {
    train: readIdxDataset(findIdx(src, 'train-images-idx3-ubyte'), findIdx(src, 'train-labels-idx1-ubyte'), classes),
    val: readIdxDataset(findIdx(src, 't10k-images-idx3-ubyte'), findIdx(src, 't10k-labels-idx1-ubyte'), classes),
    classes,
  };
}

function countLines(path: string): number {
  if (!existsSync(path)) return -1;
  const text = readFileSync(path, 'utf8');
  let n = 0;
  for (const line of text.split('\n')) if (line.trim() !== '') n++;
  return n;
}

/** A complete output: the marker matches, both lists have the right length, the last images exist and are non-empty. */
export function isCompleteOutput(out: string, dataset: string): Marker | null {
  const markerPath = join(out, MARKER);
  if (!existsSync(markerPath)) return null;
  let m: Marker;
  try {
    m = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker;
  } catch {
    return null;
  }
  if (m.version !== FORMAT_VERSION || m.dataset !== dataset) return null;
  if (countLines(join(out, 'train_list.txt')) !== m.train || countLines(join(out, 'val_list.txt')) !== m.val) return null;
  if (!existsSync(join(out, 'label_list.txt'))) return null;
  for (const [split, n] of [['train', m.train], ['val', m.val]] as const) {
    for (const i of [0, n - 1]) {
      const p = join(out, imagePath(split, i, n));
      try {
        if (statSync(p).size === 0) return null;
      } catch {
        return null;
      }
    }
  }
  return m;
}

function imagePath(split: string, i: number, n: number): string {
  return `${split}/${String(i).padStart(Math.max(5, String(n - 1).length), '0')}.png`;
}

function writeSplit(out: string, split: 'train' | 'val', ds: PixelDataset, progress: (k: number) => void): void {
  mkdirSync(join(out, split), { recursive: true });
  const n = ds.labels.length;
  const sz = ds.width * ds.height * ds.channels;
  const lines: string[] = new Array<string>(n);
  // One thread, synchronous writes: file creation dominates, and concurrent creates were measured
  // 10x slower per file on this kind of file system (they serialise in the kernel anyway).
  for (let i = 0; i < n; i++) {
    const rel = imagePath(split, i, n);
    const png = encodePng({ data: ds.pixels.subarray(i * sz, (i + 1) * sz), width: ds.width, height: ds.height, channels: ds.channels }, 0);
    writeFileSync(join(out, rel), png);
    lines[i] = `${rel} ${ds.labels[i]}\n`;
    progress(1);
  }
  const listPath = join(out, `${split}_list.txt`);
  writeFileSync(`${listPath}.tmp`, lines.join(''));
  renameSync(`${listPath}.tmp`, listPath);
}

export async function prepareDataset(opts: PrepareOptions): Promise<PrepareReport> {
  const t0 = performance.now();
  if (!(PREPARABLE as readonly string[]).includes(opts.dataset)) throw new UserError(`prepare: unknown dataset '${opts.dataset}' (one of ${PREPARABLE.join(', ')})`);
  const name = opts.dataset as PreparableDataset;
  const src = opts.src ?? DEFAULT_SOURCES[name];
  if (src === undefined || src === null) throw new UserError(`prepare ${name}: --src DIR is required (the directory with the raw files)`);
  if (!existsSync(src) || !statSync(src).isDirectory()) throw new UserError(`--src: ${src} is not a directory${name === 'fashion-mnist' ? " (Debian's dataset-fashion-mnist package installs it)" : ''}`);
  if (existsSync(opts.out) && !statSync(opts.out).isDirectory()) throw new UserError(`--out: ${opts.out} exists and is not a directory`);
  if (!opts.force) {
    const done = isCompleteOutput(opts.out, name);
    if (done !== null) {
      const classes = countLines(join(opts.out, 'label_list.txt'));
      return { dataset: name, out: opts.out, train: done.train, val: done.val, classes, alreadyComplete: true, seconds: (performance.now() - t0) / 1000 };
    }
  }
  const { train, val, classes } = loadSplits(name, src);
  mkdirSync(opts.out, { recursive: true });
  const markerPath = join(opts.out, MARKER);
  if (existsSync(markerPath)) writeFileSync(markerPath, '{}');
  const total = train.labels.length + val.labels.length;
  let done = 0;
  const progress = (k: number): void => {
    done += k;
    if (opts.onProgress && (done % 1000 === 0 || done === total)) opts.onProgress(done, total);
  };
  writeSplit(opts.out, 'train', train, progress);
  writeSplit(opts.out, 'val', val, progress);
  writeFileSync(join(opts.out, 'label_list.txt'), formatLabelList(classes));
  const marker: Marker = { version: FORMAT_VERSION, dataset: name, train: train.labels.length, val: val.labels.length };
  writeFileSync(`${markerPath}.tmp`, JSON.stringify(marker) + '\n');
  renameSync(`${markerPath}.tmp`, markerPath);
  return { dataset: name, out: opts.out, train: marker.train, val: marker.val, classes: classes.length, alreadyComplete: false, seconds: (performance.now() - t0) / 1000 };
}
