// An image folder: one subfolder per class (torchvision's ImageFolder). Class ids follow the sorted
// class names; files are found recursively and sorted. The class index can be written out as a
// `<id> <name>` file so predictions can be named later.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { FileDataset } from './dataset.js';
import { formatLabelList } from './file_list.js';

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.bmp'];

function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function walk(dir: string, out: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => byCodePoint(a.name, b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if ((e.isFile() || e.isSymbolicLink()) && isImageFile(e.name)) out.push(p);
  }
}

export interface ImageFolderOptions {
  /** Write `<id> <name>` lines here. */
  classIndexFile?: string;
}

export function readImageFolder(root: string, opts: ImageFolderOptions = {}): FileDataset {
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new UserError(`${root}: image folder does not exist`);
  }
  if (!st.isDirectory()) throw new UserError(`${root}: not a directory`);
  const classes = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodePoint);
  if (classes.length === 0) throw new UserError(`${root}: no class subfolders (expected one folder per class)`);
  const paths: string[] = [];
  const labels: number[] = [];
  classes.forEach((c, id) => {
    const files: string[] = [];
    walk(join(root, c), files);
    for (const f of files) {
      paths.push(f);
      labels.push(id);
    }
  });
  if (paths.length === 0) throw new UserError(`${root}: no image files (${IMAGE_EXTENSIONS.join(' ')}) in its class folders`);
  if (opts.classIndexFile !== undefined) writeFileSync(opts.classIndexFile, formatLabelList(classes));
  return { kind: 'files', name: root, paths, labels: Int32Array.from(labels), classNames: classes };
}
