// CIFAR-10/100 binary batches. CIFAR-10: records of 1 label byte + 3072 pixel bytes (1024 R, G, B
// planes of 32x32) in data_batch_1..5.bin / test_batch.bin. CIFAR-100: 1 coarse + 1 fine label
// byte + 3072 bytes in train.bin / test.bin; the fine label is used.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { toShared, type PixelDataset } from './dataset.js';

export type CifarKind = 'cifar10' | 'cifar100';

const PLANE = 1024;

export function cifarFiles(dir: string, kind: CifarKind, split: 'train' | 'test'): string[] {
  if (kind === 'cifar10') return split === 'train' ? [1, 2, 3, 4, 5].map((i) => join(dir, `data_batch_${i}.bin`)) : [join(dir, 'test_batch.bin')];
  return [join(dir, `${split}.bin`)];
}

function readNames(path: string): string[] | null {
  if (!existsSync(path)) return null;
  return readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
}

export function cifarClassNames(dir: string, kind: CifarKind): string[] | null {
  return kind === 'cifar10' ? readNames(join(dir, 'batches.meta.txt')) : readNames(join(dir, 'fine_label_names.txt'));
}

/** Decodes CIFAR records into an HWC RGB pixel dataset. */
export function parseCifar(bufs: Array<{ name: string; data: Uint8Array }>, kind: CifarKind): { pixels: Uint8Array; labels: Int32Array } {
  const labelBytes = kind === 'cifar10' ? 1 : 2;
  const rec = labelBytes + 3 * PLANE;
  let n = 0;
  for (const b of bufs) {
    if (b.data.length === 0 || b.data.length % rec !== 0) throw new UserError(`${b.name}: ${b.data.length} bytes is not a whole number of ${rec}-byte ${kind} records`);
    n += b.data.length / rec;
  }
  const pixels = new Uint8Array(new SharedArrayBuffer(n * 3 * PLANE));
  const labels = new Int32Array(n);
  let k = 0;
  for (const b of bufs) {
    for (let off = 0; off < b.data.length; off += rec, k++) {
      labels[k] = b.data[off + labelBytes - 1]!;
      const src = off + labelBytes;
      const dst = k * 3 * PLANE;
      for (let p = 0; p < PLANE; p++) {
        pixels[dst + 3 * p] = b.data[src + p]!;
        pixels[dst + 3 * p + 1] = b.data[src + PLANE + p]!;
        pixels[dst + 3 * p + 2] = b.data[src + 2 * PLANE + p]!;
      }
    }
  }
  return { pixels: toShared(pixels), labels };
}

export function readCifarDataset(dir: string, kind: CifarKind, split: 'train' | 'test'): PixelDataset {
  const files = cifarFiles(dir, kind, split);
  const bufs = files.map((f) => {
    if (!existsSync(f)) throw new UserError(`${f}: missing ${kind} batch file (expected ${files.map((x) => x.split('/').pop()).join(', ')} in ${dir})`);
    return { name: f, data: readFileSync(f) as Uint8Array };
  });
  const { pixels, labels } = parseCifar(bufs, kind);
  return { kind: 'pixels', name: `${dir} (${kind} ${split})`, pixels, width: 32, height: 32, channels: 3, labels, classNames: cifarClassNames(dir, kind) };
}
