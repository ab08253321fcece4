// A small labelled image dataset in the seed's layout, written by the tests themselves: each
// class is a coloured square at its own position on a noisy background, half the images PNG
// and half JPEG, so a model can learn it in a few steps.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { rng } from './random.js';

export const TINY_CLASSES = ['red-topleft', 'green-topright', 'blue-bottomleft', 'white-bottomright'];

async function image(cls: number, size: number, r: () => number, jpeg: boolean): Promise<Buffer> {
  const px = Buffer.alloc(size * size * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(r() * 60);
  const half = size / 2;
  const [y0, x0] = [[0, 0], [0, half], [half, 0], [half, half]][cls]!;
  const color = [[230, 30, 30], [30, 230, 30], [30, 30, 230], [230, 230, 230]][cls]!;
  for (let y = y0! + 2; y < y0! + half - 2; y++) {
    for (let x = x0! + 2; x < x0! + half - 2; x++) for (let c = 0; c < 3; c++) px[(y * size + x) * 3 + c] = color[c]!;
  }
  const s = sharp(px, { raw: { width: size, height: size, channels: 3 } });
  return jpeg ? s.jpeg({ quality: 95 }).toBuffer() : s.png().toBuffer();
}

/** Writes train_list.txt / val_list.txt / label_list.txt and the images under dir. */
export async function writeTinyDataset(dir: string, opts: { perClassTrain?: number; perClassVal?: number; size?: number; seed?: number } = {}): Promise<void> {
  const perTrain = opts.perClassTrain ?? 8;
  const perVal = opts.perClassVal ?? 4;
  const size = opts.size ?? 32;
  const r = rng(opts.seed ?? 1);
  for (const split of ['train', 'val'] as const) {
    mkdirSync(join(dir, split), { recursive: true });
    const lines: string[] = [];
    const per = split === 'train' ? perTrain : perVal;
    for (let c = 0; c < TINY_CLASSES.length; c++) {
      for (let i = 0; i < per; i++) {
        const jpeg = i % 2 === 1;
        const rel = `${split}/c${c}_${i}.${jpeg ? 'jpg' : 'png'}`;
        writeFileSync(join(dir, rel), await image(c, size, r, jpeg));
        lines.push(`${rel} ${c}`);
      }
    }
    writeFileSync(join(dir, `${split}_list.txt`), lines.join('\n') + '\n');
  }
  writeFileSync(join(dir, 'label_list.txt'), TINY_CLASSES.map((n, i) => `${i} ${n}`).join('\n') + '\n');
}
